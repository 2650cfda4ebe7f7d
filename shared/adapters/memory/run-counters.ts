import type { SkeinEvent } from '../../ports/notifier.ts';
import { incrementsOf, NO_RUNS, type RunCounters, type WorkflowRunCounts } from '../../ports/run-counters.ts';

/** Per-workflow run counts in process. */
export class MemoryRunCounters implements RunCounters {
  private readonly counts = new Map<string, WorkflowRunCounts>();

  async count(events: readonly SkeinEvent[]): Promise<void> {
    for (const [key, add] of incrementsOf(events)) {
      const now: Record<string, number> = { ...(this.counts.get(key) ?? NO_RUNS) };
      for (const [field, n] of Object.entries(add)) now[field] = (now[field] ?? 0) + n;
      this.counts.set(key, now as unknown as WorkflowRunCounts);
    }
  }

  async get(tenant: string, workflow: string): Promise<WorkflowRunCounts> {
    return { ...(this.counts.get(JSON.stringify([tenant, workflow])) ?? NO_RUNS) };
  }
}
