import type { EventLog } from '../ports/event-log.ts';
import { type Notifier, NotifyError, type SkeinEvent } from '../ports/notifier.ts';
import type { RunCounters } from '../ports/run-counters.ts';

export interface RecordingNotifierOptions {
  /** Where subscribers get events (SNS). */
  readonly notifier: Notifier;
  /** Each run's history (`GET .../runs/{run}/events`): written before publishing. */
  readonly log?: EventLog;
  /** Told about every event after it is recorded (the console, the SSE hub); errors are ignored. */
  readonly listeners?: readonly ((events: readonly SkeinEvent[]) => void)[];
  /** Per-workflow run counts (`GET .../workflows/{wf}`): counted once the events are published. */
  readonly counters?: RunCounters;
}

/**
 * A notifier that records each event in its run's history, tells live listeners, then publishes.
 * A failed history write fails the whole call (the monitor retries the batch; history writes are
 * idempotent), so a published event is always in the history.
 * @example const notifier = recordingNotifier({ notifier: sns, log: new DynamoDbEventLog({ client, tableName }) });
 */
export function recordingNotifier(options: RecordingNotifierOptions): Notifier {
  return {
    async publish(events) {
      // A trigger that could not start a run has no run whose history could hold its event.
      const ofRuns = events.filter((event) => event.runId !== '');
      if (options.log && ofRuns.length > 0) {
        try {
          await options.log.append(ofRuns);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const failed = events.map((_, index) => ({ index, code: 'HistoryWriteFailed', message }));
          throw new NotifyError(failed, events.length);
        }
      }
      for (const listener of options.listeners ?? []) {
        try {
          listener(events);
        } catch {
          // The console or a closed stream must not hold back publishing.
        }
      }
      await options.notifier.publish(events);
      if (options.counters) {
        try {
          await options.counters.count(events);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new NotifyError(
            events.map((_, index) => ({ index, code: 'CountFailed', message })),
            events.length,
          );
        }
      }
    },
  };
}
