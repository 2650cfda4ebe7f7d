import { z } from 'zod';
import { MAX_DELAY_SECONDS, type Queue, type ReceivedMessage } from '../ports/queue.ts';
import { peekMessage } from './messages.ts';
import type { StepOptions } from './node-step.ts';
import type { RunEngine } from './run-engine.ts';

/** What a delivery logs: a bad body, an infrastructure error, a failure of the engine itself. */
export type DeliveryLog = (
  level: 'warn' | 'error',
  message: string,
  details: Readonly<Record<string, unknown>>,
) => void;

export interface DeliveryDeps {
  readonly engine: RunEngine;
  /** The queue the message came from: hand-backs change its visibility, put-backs go to it. */
  readonly queue: Queue;
  /**
   * True for an infrastructure error worth retrying soon without counting a receive: throttling,
   * a 5xx, a network failure (the AWS composition passes `isTransientAwsError`). Any other error
   * is redelivered after a short delay and counts a receive, so a message that always fails ends
   * in the dead-letter queue after `maxReceiveCount` receives. @default nothing is transient
   */
  readonly isTransient?: (error: unknown) => boolean;
  readonly log?: DeliveryLog;
  /** Counts a named event (`BadMessage`, `PutBack`, `DeliveryError`), e.g. as a CloudWatch metric. */
  readonly count?: (name: 'BadMessage' | 'PutBack' | 'DeliveryError') => void;
  /** Random numbers in [0, 1) for the back-off's jitter (the core takes randomness as a dependency). */
  readonly random: () => number;
}

/**
 * What became of a message: `done` (delete it, or let Lambda delete it), or `redeliver` (it was
 * made visible again after `afterSeconds`; a Lambda reports it in `batchItemFailures`).
 */
export type Delivery =
  | { readonly kind: 'done'; readonly putBack?: number }
  | { readonly kind: 'redeliver'; readonly afterSeconds: number };

/** An error that is not an infrastructure error: redelivered after this long, counting a receive. */
export const ERROR_REDELIVERY_SECONDS = 30;

/** A put-back of the `n`-th time waits up to `PUT_BACK_BASE_SECONDS * 2^(n-1)`, at most this. */
export const MAX_PUT_BACK_SECONDS = 300;
const PUT_BACK_BASE_SECONDS = 2;

/**
 * A message put back after an infrastructure error, with how often that happened: a fresh copy
 * starts its receive count again, so only this count makes the wait grow.
 */
const putBackSchema = z.object({ pb: z.number().int().min(1).max(1_000_000), m: z.string() }).strict();

/**
 * Hands one queue message to the engine and settles it: the single delivery path of the Lambda
 * worker, the local runtime, the CLI and the test harness.
 * - A body that is not a Skein message is logged, counted and dropped.
 * - The engine asks to redeliver later (a node's lease is held elsewhere, the worker is out of
 *   time): the message's visibility is changed to that delay.
 * - An infrastructure error (`isTransient`): a copy is sent again with a growing, jittered delay
 *   (2 s, 4 s, ... at most 5 minutes) and the original is done, so an outage of any length uses
 *   no receives and sends nothing to the dead-letter queue; if even that send fails, the message
 *   comes back after the same delay and counts a receive.
 * - Any other error is logged and the message comes back after 30 s, counting a receive.
 * Never throws.
 */
export async function deliverMessage(
  deps: DeliveryDeps,
  message: ReceivedMessage,
  options: StepOptions = {},
): Promise<Delivery> {
  const envelope = putBackOf(message.body);
  const body = envelope?.m ?? message.body;
  // Only a message to log is decoded here; the engine decodes the others itself.
  const keys = () => ({
    messageId: message.id,
    receiveCount: message.receiveCount,
    ...peekMessage(body).keys,
  });
  try {
    const result = await deps.engine.handleMessage(body, options);
    if (result.kind === 'done') return { kind: 'done' };
    if (result.kind === 'dropped') {
      deps.log?.('warn', 'dropped a queue message that is not a Skein message', {
        ...keys(),
        reason: result.reason,
        body: body.slice(0, 200),
      });
      deps.count?.('BadMessage');
      return { kind: 'done' };
    }
    await deps.queue.changeVisibility(message.receipt, result.afterSeconds);
    return { kind: 'redeliver', afterSeconds: result.afterSeconds };
  } catch (error) {
    const transient = deps.isTransient?.(error) ?? false;
    if (!transient) {
      deps.log?.('error', 'a queue message failed; it comes back after a short delay', { ...keys(), error });
      deps.count?.('DeliveryError');
      return redeliverAfter(deps, message, ERROR_REDELIVERY_SECONDS);
    }
    const putBacks = (envelope?.pb ?? 0) + 1;
    const delaySeconds = putBackDelay(putBacks, deps.random);
    try {
      const copy = JSON.stringify({ pb: putBacks, m: body });
      await deps.queue.send([
        { body: copy, delaySeconds, ...(message.group ? { group: message.group } : {}) },
      ]);
      deps.log?.('warn', 'infrastructure error: the message was put back', {
        ...keys(),
        putBacks,
        delaySeconds,
        error,
      });
      deps.count?.('PutBack');
      return { kind: 'done', putBack: delaySeconds };
    } catch (sendError) {
      deps.log?.('error', 'infrastructure error, and the message could not be put back', {
        ...keys(),
        error,
        sendError,
      });
      return redeliverAfter(deps, message, delaySeconds);
    }
  }
}

async function redeliverAfter(
  deps: DeliveryDeps,
  message: ReceivedMessage,
  seconds: number,
): Promise<Delivery> {
  try {
    await deps.queue.changeVisibility(message.receipt, seconds);
  } catch {
    // The queue is unreachable too: the message comes back after its visibility timeout.
  }
  return { kind: 'redeliver', afterSeconds: seconds };
}

/** The `n`-th put-back's delay: "full jitter" over 2 s · 2^(n-1), at least 1 s, at most 5 minutes. */
export function putBackDelay(n: number, random: () => number): number {
  const ceiling = Math.min(MAX_PUT_BACK_SECONDS, PUT_BACK_BASE_SECONDS * 2 ** Math.min(n - 1, 20));
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(random() * ceiling)));
}

function putBackOf(body: string): z.infer<typeof putBackSchema> | undefined {
  if (!body.startsWith('{"pb":')) return undefined;
  try {
    const parsed = putBackSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
