/**
 * Timer on a Step Functions standard state machine (delays beyond SQS's 15 minutes). `schedule`
 * starts one execution with the input `{queueUrl, body, at}`; the state machine waits until `at`
 * (a `Wait` state with `TimestampPath: "$.at"`) and sends `body` to `queueUrl` (an SQS
 * `sendMessage` task). `queueUrl` is the pool's queue (an unknown pool gets the default pool's
 * queue, as `PooledQueue` does); `at` is ISO 8601 in whole seconds, rounded up, since the
 * timer promises "at `atMs` or shortly after".
 *
 * The execution name is a hash of queue URL, body and time, so scheduling the same message twice
 * (a retried worker) starts one execution: `ExecutionAlreadyExists` counts as success.
 */
import { createHash } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DEFAULT_POOL } from '../../config.ts';
import type { Timer } from '../../ports/timer.ts';

export interface SfnTimerProps {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  /** Pool name → SQS queue URL; must have the default pool. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

/** The state machine's input. */
export interface TimerInput {
  readonly queueUrl: string;
  readonly body: string;
  /** ISO 8601, whole seconds, e.g. `2026-01-01T10:00:00Z`. */
  readonly at: string;
}

/**
 * Delivers queue messages later through Step Functions.
 * @example await new SfnTimer({ client, stateMachineArn, queueUrls: { default: url } }).schedule(body, Date.now() + 3_600_000);
 */
export class SfnTimer implements Timer {
  private readonly client: SFNClient;
  readonly stateMachineArn: string;
  private readonly queueUrls: Readonly<Record<string, string>>;
  private readonly fallback: string;

  constructor(props: SfnTimerProps) {
    const fallback = props.queueUrls[DEFAULT_POOL];
    if (!fallback) throw new Error(`SfnTimer needs the "${DEFAULT_POOL}" pool's queue URL`);
    this.client = props.client;
    this.stateMachineArn = props.stateMachineArn;
    this.queueUrls = props.queueUrls;
    this.fallback = fallback;
  }

  async schedule(body: string, atMs: number, pool?: string): Promise<void> {
    if (!Number.isFinite(atMs))
      throw new RangeError(`atMs must be a time in epoch milliseconds, got ${atMs}`);
    const queueUrl = (pool === undefined ? undefined : this.queueUrls[pool]) ?? this.fallback;
    const input: TimerInput = { queueUrl, body, at: wholeSecondIso(atMs) };
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName(input),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }
}

/**
 * The time rounded up to the second, without milliseconds, as the Wait state reads it.
 * @example wholeSecondIso(Date.UTC(2026, 0, 1, 10, 0, 0, 200)) // '2026-01-01T10:00:01Z'
 */
export function wholeSecondIso(atMs: number): string {
  return new Date(Math.ceil(atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * `t-` and 64 hex digits of sha256 over the input: stable, unique per message and time, ≤ 80 characters.
 * @example executionName({ queueUrl, body, at: '2026-01-01T10:00:01Z' }) // 't-3f9a...'
 */
export function executionName(input: TimerInput): string {
  const hash = createHash('sha256')
    .update(`${input.queueUrl}\n${input.at}\n${input.body}`, 'utf8')
    .digest('hex');
  return `t-${hash}`;
}
