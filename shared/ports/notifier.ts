import type { ErrorInfo } from './run-store.ts';

/** Run, node and trigger events published to subscribers (SPEC "Concepts": Events). */
export const SKEIN_EVENT_TYPES = [
  'run.started',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'run.paused',
  'run.resumed',
  'run.timed_out',
  'node.started',
  'node.succeeded',
  'node.failed',
  'node.retrying',
  'node.skipped',
  'node.waiting',
  'trigger.fired',
  'trigger.failed',
] as const;
export type SkeinEventType = (typeof SKEIN_EVENT_TYPES)[number];

export type Severity = 'info' | 'warning' | 'error' | 'critical';

/**
 * One event, as published (the SNS message body is this object as JSON). Node items do not hold
 * the run's tenant, workflow and version: the monitor fills them from the run item (in the same
 * stream batch, or read once per run and cached); they are absent only when the run item is gone.
 */
export interface SkeinEvent {
  readonly type: SkeinEventType;
  readonly severity: Severity;
  readonly tenant?: string;
  readonly workflow?: string;
  readonly version?: string;
  /** The run; `trigger.failed` (no run could start): the empty string. */
  readonly runId: string;
  readonly nodeId?: string;
  /** ISO time of the transition. */
  readonly time: string;
  /** Node events: the attempt (1-based). */
  readonly attempt?: number;
  /** Failures and retries: the error (its message cut to 1,000 characters). */
  readonly error?: ErrorInfo;
  /** Skipped nodes: why. */
  readonly reason?: string;
  /**
   * `node.waiting`: the token that completes the callback (`POST .../nodes/{node}/complete`), so a
   * subscriber (an e-mail, a webhook) can act on it. Subscribers see it as any reader of the run may.
   */
  readonly token?: string;
  /** Ended runs and nodes: milliseconds from start (a run's creation) to end. */
  readonly durationMs?: number;
  /** Run events of a run a trigger started, and trigger events: the trigger's id (subscriptions filter on it). */
  readonly trigger?: string;
  /** Trigger events of a cron firing: its scheduled time. */
  readonly scheduledAt?: string;
}

/**
 * Delivers events to subscribers (SNS on AWS). At least once: a retried stream batch publishes
 * its events again.
 * @example await notifier.publish([{ type: 'run.failed', severity: 'error', runId, time, tenant }]);
 */
export interface Notifier {
  /** Resolves when every event was accepted; otherwise throws a `NotifyError` naming the others. */
  publish(events: readonly SkeinEvent[]): Promise<void>;
}

/** Some events of a `publish` were not accepted (by index in the call); the others were. */
export class NotifyError extends Error {
  constructor(
    readonly failed: readonly { readonly index: number; readonly code: string; readonly message: string }[],
    total: number,
  ) {
    const list = failed.map((entry) => `#${entry.index} ${entry.code}: ${entry.message}`).join('; ');
    super(`${failed.length} of ${total} events were not published: ${list}`);
    this.name = 'NotifyError';
  }
}
