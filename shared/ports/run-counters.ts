import type { SkeinEvent } from './notifier.ts';

/** Runs of one workflow started and ended, by status, since counting began. */
export interface WorkflowRunCounts {
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly timed_out: number;
}

export const COUNTED_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const;

/**
 * Per-workflow run counts, kept by the monitor from the events it publishes (at least once: a
 * retried stream batch may count its runs again, so counts are approximate upwards).
 */
export interface RunCounters {
  count(events: readonly SkeinEvent[]): Promise<void>;
  get(tenant: string, workflow: string): Promise<WorkflowRunCounts>;
}

/** The increments a batch of events makes, by tenant and workflow. */
export function incrementsOf(events: readonly SkeinEvent[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const event of events) {
    if (event.tenant === undefined || event.workflow === undefined) continue;
    const field =
      event.type === 'run.started'
        ? 'started'
        : (COUNTED_STATUSES as readonly string[]).includes(event.type.slice(4)) &&
            event.type.startsWith('run.')
          ? event.type.slice(4)
          : undefined;
    if (field === undefined) continue;
    const key = JSON.stringify([event.tenant, event.workflow]);
    const counts = out.get(key) ?? {};
    counts[field] = (counts[field] ?? 0) + 1;
    out.set(key, counts);
  }
  return out;
}

export const NO_RUNS: WorkflowRunCounts = { started: 0, succeeded: 0, failed: 0, cancelled: 0, timed_out: 0 };
