import { type EventLog, eventKeyOf, MAX_LISTED_EVENTS } from '../../ports/event-log.ts';
import type { SkeinEvent } from '../../ports/notifier.ts';

/** Run events in process (tests, and the same contract as the DynamoDB adapter). */
export class MemoryEventLog implements EventLog {
  private readonly runs = new Map<string, Map<string, SkeinEvent>>();

  async append(events: readonly SkeinEvent[]): Promise<void> {
    for (const event of events) {
      const run = this.runs.get(event.runId) ?? new Map<string, SkeinEvent>();
      run.set(eventKeyOf(event), structuredClone(event));
      this.runs.set(event.runId, run);
    }
  }

  async list(runId: string, limit = MAX_LISTED_EVENTS): Promise<SkeinEvent[]> {
    const run = this.runs.get(runId) ?? new Map<string, SkeinEvent>();
    return [...run.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit)
      .map(([, event]) => structuredClone(event));
  }
}
