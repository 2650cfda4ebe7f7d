/**
 * The local stand-in for the monitor's DynamoDB-stream event source mapping on the embedded
 * store: reads the SQLite run store's outbox (`shared/adapters/sqlite/change-feed.ts`) and calls
 * the same handler as on AWS with a `DynamoDBStreamEvent`. One batch at a time, in commit order;
 * the checkpoint (kept in the database) advances only after the handler succeeds;
 * `batchItemFailures` retry from the lowest failed record; a batch still failing after
 * `maxRetries` retries is skipped and reported through `onError`, as with the DynamoDB source.
 * A restart goes on from the saved checkpoint, so no committed change is lost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { OutboxReader } from '../../shared/adapters/sqlite/change-feed.ts';
import type { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { firstFailure } from './dynamodb-stream-records.ts';

export interface SqliteStreamSourceOptions {
  /** The store whose outbox is read (opened with a `changeFeed` level other than `off`). */
  readonly store: SqliteRunStore;
  // biome-ignore lint/suspicious/noConfusingVoidType: the signature of aws-lambda's DynamoDBStreamHandler
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** The checkpoint's name. @default 'monitor' */
  readonly reader?: string;
  /** Most records per handler call. @default 100 */
  readonly batchSize?: number;
  /** Pause between reads that found nothing (a write in this process wakes the reader at once). @default 250 */
  readonly pollIntervalMs?: number;
  /** Retries of a failing batch before it is skipped. @default 3 */
  readonly maxRetries?: number;
  /** Skipped batches and read errors. @default console.error */
  readonly onError?: (error: unknown) => void;
}

export interface SqliteStreamSource {
  /** Stops reading; resolves once the handler call in flight has returned. Safe to call twice. */
  stop(): Promise<void>;
  /** For tests: resolves once the outbox has been read to its end and no batch is in flight. */
  caughtUp(): Promise<void>;
}

/** @example const source = startSqliteStreamSource({ store, handler: monitor }); await source.stop(); */
export function startSqliteStreamSource(options: SqliteStreamSourceOptions): SqliteStreamSource {
  const reader = new OutboxReader(options.store.sqlite, options.reader ?? 'monitor');
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const maxRetries = options.maxRetries ?? 3;
  const report = options.onError ?? ((error: unknown) => console.error('[sqlite-stream-source]', error));
  let wake = new AbortController();
  let stopped = false;
  let idle = false;
  options.store.feed.onAppend = () => {
    idle = false;
    wake.abort();
  };

  async function deliver(records: Awaited<ReturnType<OutboxReader['next']>>) {
    let pending = records;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedAt: number | undefined;
      let cause: unknown;
      try {
        failedAt = firstFailure(await options.handler({ Records: pending }), pending);
        cause = new Error(
          `the handler reported batchItemFailures from record ${failedAt} of ${pending.length}`,
        );
      } catch (error) {
        failedAt = 0;
        cause = error;
      }
      const last = pending.at(-1);
      if (failedAt === undefined) return last && (await reader.done(last));
      const passed = pending[failedAt - 1];
      if (passed) await reader.done(passed);
      pending = pending.slice(failedAt);
      if (attempt > maxRetries || stopped) {
        if (!stopped) report(new Error(`skipped ${pending.length} outbox record(s)`, { cause }));
        const skipped = pending.at(-1);
        return stopped ? undefined : skipped && (await reader.done(skipped));
      }
      await sleep(Math.min(pollIntervalMs * 2 ** (attempt - 1), 5_000));
    }
  }

  const loop = (async () => {
    while (!stopped) {
      const signal = wake.signal;
      try {
        const records = await reader.next(batchSize);
        if (records.length > 0) {
          await deliver(records);
          continue;
        }
        idle = true;
      } catch (error) {
        report(error);
      }
      await sleep(pollIntervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) wake = new AbortController();
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake.abort();
      if (options.store.feed.onAppend) options.store.feed.onAppend = undefined;
      await loop;
    },
    async caughtUp() {
      idle = false;
      wake.abort();
      while (!stopped && !idle) await sleep(5);
    },
  };
}
