/**
 * Timer on EventBridge Scheduler one-time schedules (delays beyond SQS's 15 minutes). `schedule`
 * creates one schedule `at(<time>)` in the stack's schedule group whose templated SQS target is
 * the pool's queue with the body as the message; Scheduler deletes the schedule once it has
 * delivered (`ActionAfterCompletion: DELETE`), retries a failing delivery for up to a day and then
 * puts it in the timer's dead-letter queue. An unknown pool gets the default pool's queue, as
 * `PooledQueue` does.
 *
 * Scheduler fires within the minute it is given (60-second precision), so the time is rounded up
 * to the next whole minute: the message arrives at `atMs` or up to two minutes after, never
 * before — the timer port promises "at `atMs` or shortly after".
 *
 * The schedule name (and the request's client token) is a hash of the target queue, the minute
 * and the body — the body names the run, the node and the message's token — so a retried call
 * creates one schedule: `ConflictException` (that name exists) counts as success.
 */
import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { DEFAULT_POOL } from '../../config.ts';
import type { Timer } from '../../ports/timer.ts';

export interface SchedulerTimerProps {
  readonly client: SchedulerClient;
  /** The schedule group the schedules go in (the stack's own: deleting it deletes them). */
  readonly groupName: string;
  /** The role Scheduler assumes to send to the pool queues. */
  readonly roleArn: string;
  /** Pool name → SQS queue ARN; must have the default pool. */
  readonly queueArns: Readonly<Record<string, string>>;
  /** Where Scheduler puts a message it could not deliver within {@link MAX_EVENT_AGE_SECONDS}. */
  readonly deadLetterArn: string;
}

/** How long Scheduler keeps retrying a delivery (its maximum: one day). */
export const MAX_EVENT_AGE_SECONDS = 86_400;
/** Retries of a failing delivery (Scheduler's maximum), spread over {@link MAX_EVENT_AGE_SECONDS}. */
export const MAX_RETRY_ATTEMPTS = 185;

/**
 * Delivers queue messages later through EventBridge Scheduler.
 * @example
 * const timer = new SchedulerTimer({ client, groupName, roleArn, deadLetterArn, queueArns: { default: arn } });
 * await timer.schedule(body, Date.now() + 3_600_000);
 */
export class SchedulerTimer implements Timer {
  private readonly client: SchedulerClient;
  private readonly props: SchedulerTimerProps;
  private readonly fallback: string;

  constructor(props: SchedulerTimerProps) {
    const fallback = props.queueArns[DEFAULT_POOL];
    if (!fallback) throw new Error(`SchedulerTimer needs the "${DEFAULT_POOL}" pool's queue ARN`);
    this.client = props.client;
    this.props = props;
    this.fallback = fallback;
  }

  async schedule(body: string, atMs: number, pool?: string): Promise<void> {
    if (!Number.isFinite(atMs))
      throw new RangeError(`atMs must be a time in epoch milliseconds, got ${atMs}`);
    const queueArn = (pool === undefined ? undefined : this.props.queueArns[pool]) ?? this.fallback;
    const at = wholeMinuteAt(atMs);
    const name = scheduleName(queueArn, at, body);
    const input: CreateScheduleCommandInput = {
      Name: name,
      ClientToken: name,
      GroupName: this.props.groupName,
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: queueArn,
        RoleArn: this.props.roleArn,
        Input: body,
        RetryPolicy: {
          MaximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS,
          MaximumRetryAttempts: MAX_RETRY_ATTEMPTS,
        },
        DeadLetterConfig: { Arn: this.props.deadLetterArn },
      },
    };
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ConflictException') return;
      throw error;
    }
  }
}

/**
 * The `at()` time (UTC, no zone suffix) of the first whole minute at or after `atMs`.
 * @example wholeMinuteAt(Date.UTC(2026, 0, 1, 10, 0, 0, 200)) // '2026-01-01T10:01:00'
 */
export function wholeMinuteAt(atMs: number): string {
  return new Date(Math.ceil(atMs / 60_000) * 60_000).toISOString().slice(0, 19);
}

/**
 * `skein-` and 58 hex digits of sha256 over target, time and body: stable for one message and
 * time, within Scheduler's 64 characters of `[0-9a-zA-Z-_.]`.
 * @example scheduleName(queueArn, '2026-01-01T10:01:00', body) // 'skein-3f9a...'
 */
export function scheduleName(queueArn: string, at: string, body: string): string {
  const hash = createHash('sha256').update(`${queueArn}\n${at}\n${body}`, 'utf8').digest('hex');
  return `skein-${hash.slice(0, 58)}`;
}
