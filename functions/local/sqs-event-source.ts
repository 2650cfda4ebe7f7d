/**
 * Local stand-in for a Lambda SQS event source mapping: pollers receive batches from a `Queue`
 * and call the very handler that AWS calls, with an `SQSEvent` shaped as Lambda builds it.
 *
 * What happens after the handler, as Lambda does it with `ReportBatchItemFailures` on
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 * - It returns nothing, `{}`, or an empty/null `batchItemFailures`: every message is deleted.
 * - It lists `batchItemFailures`: all messages but those are deleted; the failed ones reappear
 *   after their visibility timeout with `ApproximateReceiveCount + 1`.
 * - It throws, returns a `batchItemFailures` that is not an array, or lists an `itemIdentifier`
 *   that is empty, null or not a `messageId` of the batch: nothing is deleted, the whole batch
 *   is retried, and the reason goes to `onError`.
 * Lambda never extends the visibility timeout while a handler runs, and neither does this.
 *
 * Invented, since the port does not carry them: `SentTimestamp` and
 * `ApproximateFirstReceiveTimestamp` are the time of this receive, `SenderId` is 'local',
 * `messageAttributes` is empty and `awsRegion` is 'local'.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import {
  MAX_BATCH,
  MAX_VISIBILITY_SECONDS,
  MAX_WAIT_SECONDS,
  type Queue,
  type ReceivedMessage,
} from '../../shared/ports/queue.ts';

export interface SqsEventSourceOptions {
  /** Any `Queue`: a `FairQueue` over fauxqs queues in local mode, `MemoryQueue` in tests. */
  readonly queue: Queue;
  /** Put in every record's `eventSourceARN`. */
  readonly queueArn: string;
  /** The Lambda handler, e.g. the worker's. */
  // biome-ignore lint/suspicious/noConfusingVoidType: the return type of aws-lambda's SQSHandler, so `async () => {}` fits
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** Most messages per event, 1..10. @default 10 */
  readonly batchSize?: number;
  /**
   * How long received messages stay hidden, 0..43200 seconds.
   * @default the queue's own visibility timeout (30 s unless the queue sets another), as Lambda does
   */
  readonly visibilitySeconds?: number;
  /** Long polling, 0..20 seconds. Use 0 with `MemoryQueue`, which never waits. @default 1 */
  readonly waitSeconds?: number;
  /** Pollers running in parallel, each with at most one receive or batch at a time. @default 1 */
  readonly concurrency?: number;
  /** Gets handler errors, rejected batches and queue errors. @default console.error */
  readonly onError?: (error: unknown) => void;
  /** For the records' receive timestamps. @default systemClock */
  readonly clock?: Clock;
}

export interface SqsEventSource {
  /** Stops polling; resolves once running receives and batches are done. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Resolves when the next receive comes back empty while no batch is being handled (or once
   * stopped). For tests: send, then `await source.idle()`. A receive already waiting when you
   * send still counts, which is sound because a long poll returns messages sent while it waits
   * and `MemoryQueue` answers at once.
   */
  idle(): Promise<void>;
}

/** Back-off after a failed receive: 200 ms, doubling up to 5 s, reset by a successful one. */
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
/** An empty receive that came back sooner than this (no long polling) waits out the rest. */
const EMPTY_POLL_MS = 20;

/**
 * Starts polling `queue` and calling `handler` with each batch, as a Lambda event source mapping.
 * @example
 * const source = startSqsEventSource({ queue, queueArn, handler: createWorkerHandler(localDeps) });
 * // ...
 * await source.stop();
 */
export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  const batchSize = options.batchSize ?? MAX_BATCH;
  const waitSeconds = options.waitSeconds ?? 1;
  const concurrency = options.concurrency ?? 1;
  checkRange('batchSize', batchSize, 1, MAX_BATCH);
  checkRange('waitSeconds', waitSeconds, 0, MAX_WAIT_SECONDS);
  checkRange('concurrency', concurrency, 1, Number.MAX_SAFE_INTEGER);
  if (options.visibilitySeconds !== undefined) {
    checkRange('visibilitySeconds', options.visibilitySeconds, 0, MAX_VISIBILITY_SECONDS);
  }
  const { queue, queueArn, handler } = options;
  const clock = options.clock ?? systemClock;
  const receiveOptions = {
    max: batchSize,
    waitSeconds,
    ...(options.visibilitySeconds === undefined ? {} : { visibilitySeconds: options.visibilitySeconds }),
  };
  const report = (error: unknown) => {
    try {
      (options.onError ?? console.error)(error);
    } catch {
      // A failing error reporter must not stop the pollers.
    }
  };

  const abort = new AbortController();
  let batchesInFlight = 0;
  let idleWaiters: (() => void)[] = [];

  const pause = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);

  const resolveIdle = () => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const deliver = async (messages: ReceivedMessage[]) => {
    const failed = await run(handler, toEvent(messages, queueArn, clock.now()), report);
    if (failed === 'all') return;
    const done = messages.filter((message) => !failed.has(message.id));
    await Promise.all(done.map((message) => queue.delete(message.receipt).catch(report)));
  };

  const poll = async () => {
    let backoffMs = 0;
    while (!abort.signal.aborted) {
      const startedAt = performance.now();
      let messages: ReceivedMessage[];
      try {
        messages = await queue.receive(receiveOptions);
        backoffMs = 0;
      } catch (error) {
        report(error);
        backoffMs = Math.min(backoffMs === 0 ? FIRST_BACKOFF_MS : backoffMs * 2, MAX_BACKOFF_MS);
        await pause(backoffMs);
        continue;
      }
      if (messages.length === 0) {
        if (batchesInFlight === 0) resolveIdle();
        await pause(Math.max(0, EMPTY_POLL_MS - (performance.now() - startedAt)));
        continue;
      }
      // Messages received while stopping are still handled: handing them back would count a
      // receive towards the dead-letter queue's maxReceiveCount without any attempt.
      batchesInFlight += 1;
      try {
        await deliver(messages);
      } catch (error) {
        report(error);
      } finally {
        batchesInFlight -= 1;
      }
    }
  };

  const pollers = Array.from({ length: concurrency }, () => poll().catch(report));
  let stopped: Promise<void> | undefined;
  return {
    stop: () => {
      stopped ??= (async () => {
        abort.abort();
        await Promise.all(pollers);
        resolveIdle();
      })();
      return stopped;
    },
    idle: () => {
      if (abort.signal.aborted) return stopped ?? Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/** Calls the handler; answers which message ids failed, or 'all' when the whole batch did. */
async function run(
  handler: SqsEventSourceOptions['handler'],
  event: SQSEvent,
  report: (error: unknown) => void,
): Promise<Set<string> | 'all'> {
  let response: SQSBatchResponse | undefined;
  try {
    response = (await handler(event)) ?? undefined;
  } catch (error) {
    report(error);
    return 'all';
  }
  const failures: unknown = response?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) {
    report(new Error(`batchItemFailures must be an array, got ${JSON.stringify(failures)}; ${RETRY}`));
    return 'all';
  }
  const ids = new Set(event.Records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const [index, failure] of failures.entries()) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) {
      report(
        new Error(
          `batchItemFailures[${index}].itemIdentifier ${JSON.stringify(id ?? null)} is not a messageId ` +
            `of this batch; ${RETRY}`,
        ),
      );
      return 'all';
    }
    failed.add(id);
  }
  return failed;
}

const RETRY = 'the whole batch will be retried, as Lambda does';

function toEvent(messages: readonly ReceivedMessage[], queueArn: string, now: number): SQSEvent {
  return { Records: messages.map((message) => toRecord(message, queueArn, now)) };
}

function toRecord(message: ReceivedMessage, queueArn: string, now: number): SQSRecord {
  return {
    messageId: message.id,
    receiptHandle: message.receipt,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(now),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body, 'utf8').digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'local',
  };
}

function checkRange(name: string, value: number, min: number, max: number) {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be a whole number ${range}, got ${value}`);
  }
}
