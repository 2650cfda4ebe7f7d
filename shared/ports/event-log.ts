import type { SkeinEvent } from './notifier.ts';

/**
 * Each run's published events, for `GET .../runs/{run}/events`. Appending an event again (a
 * retried stream batch publishes again) keeps one copy: an event is keyed by its time, node and
 * type.
 */
export interface EventLog {
  append(events: readonly SkeinEvent[]): Promise<void>;
  /** A run's events in time order (ties: by node, then type); at most `limit`. */
  list(runId: string, limit?: number): Promise<SkeinEvent[]>;
}

/** Most events `list` returns (a run of 10,000 nodes at node-event level `all` has more: the first ones). */
export const MAX_LISTED_EVENTS = 1_000;

/** The key of an event within its run: time order first. */
export function eventKeyOf(event: SkeinEvent): string {
  return `${event.time}#${event.nodeId ?? ''}#${event.type}#${event.attempt ?? 0}`;
}
