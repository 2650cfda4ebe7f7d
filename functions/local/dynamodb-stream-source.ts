/**
 * The local stand-in for a Lambda DynamoDB-stream event source mapping: reads a DynamoDB Local
 * table's stream through the real Streams API and calls the same handler as on AWS with a
 * `DynamoDBStreamEvent`.
 *
 * Semantics follow Lambda's: shards are read in parallel, one batch at a time per shard, parents
 * before children; the checkpoint advances only after the handler succeeds; `batchItemFailures`
 * (ReportBatchItemFailures) retry from the lowest failed sequence number; a batch that still fails
 * after `maxRetries` retries is skipped and reported through `onError`, as an on-failure
 * destination would receive it. Checkpoints live in memory: a restart starts over at
 * `startingPosition`.
 *
 * DynamoDB Local (1.25) serves a write to GetRecords at once, returns `ApproximateCreationDateTime`
 * as a Date rounded down to the minute, and `awsRegion: 'ddblocal'`; binary attributes arrive as
 * bytes where Lambda delivers base64 strings. `dynamodb-stream-records.ts` irons these out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkRecord,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { firstFailure, toLambdaRecord } from './dynamodb-stream-records.ts';

export interface StreamSourceOptions {
  /** DynamoDB Local's endpoint, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint: string;
  /** The table; its stream must be enabled with `NEW_AND_OLD_IMAGES`. */
  readonly tableName: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: the signature of aws-lambda's DynamoDBStreamHandler
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Most records per handler call, 1 to 1000 (GetRecords' limit). @default 100 */
  readonly batchSize?: number;
  /** Pause between reads of a shard that had nothing new. @default 500 */
  readonly pollIntervalMs?: number;
  /** Where to start in the shards open at start-up. @default 'LATEST' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Retries of a failing batch (so at most `maxRetries + 1` calls) before it is skipped. @default 3 */
  readonly maxRetries?: number;
  /** Skipped batches (`StreamBatchSkippedError`) and read errors. @default console.error */
  readonly onError?: (error: unknown) => void;
}

export interface DynamoDbStreamSource {
  /** The stream being read. */
  readonly streamArn: string;
  /** Stops reading; resolves once in-flight handler calls have returned. Safe to call twice. */
  stop(): Promise<void>;
  /** For tests: resolves once every shard has been read up to its current end and no batch is in flight. */
  caughtUp(): Promise<void>;
}

/** What an on-failure destination would receive: the records given up on, and why. */
export class StreamBatchSkippedError extends Error {
  constructor(
    readonly shardId: string,
    readonly records: readonly DynamoDBRecord[],
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    const first = records[0]?.dynamodb?.SequenceNumber;
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    super(
      `Skipped ${records.length} stream record(s) of shard ${shardId} (sequence ${first}..${last}) ` +
        `after ${attempts} failed handler call(s): ${describeCause(options.cause)}`,
      options,
    );
    this.name = 'StreamBatchSkippedError';
  }
}

const SHARD_REFRESH_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

interface ShardState {
  readonly id: string;
  readonly parentId: string | undefined;
  startAt: ShardIteratorType;
  iterator?: string;
  /** Sequence number of the last record handled (or skipped). */
  checkpoint?: string;
  done: boolean;
  reading: boolean;
  /** Tick at which an empty read began. */
  idleSince: number;
}

/**
 * Starts reading the table's stream and resolves once the starting positions are fixed, so that
 * with `LATEST` every write made after this resolves reaches the handler.
 * @example
 * const source = await startDynamoDbStreamSource({ endpoint, tableName: 'skein-runs', handler: monitor });
 * // ...
 * await source.stop();
 */
export async function startDynamoDbStreamSource(options: StreamSourceOptions): Promise<DynamoDbStreamSource> {
  const batchSize = checkedInteger('batchSize', options.batchSize ?? 100, 1, 1000);
  const pollIntervalMs = checkedInteger('pollIntervalMs', options.pollIntervalMs ?? 500, 1, 3_600_000);
  const maxRetries = checkedInteger('maxRetries', options.maxRetries ?? 3, 0, 10_000);
  const report = (error: unknown) => {
    try {
      (options.onError ?? ((e) => console.error('[dynamodb-stream-source]', e)))(error);
    } catch {
      // a failing error hook must not stop the reader
    }
  };
  const local = {
    endpoint: options.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const dynamo = new DynamoDBClient(local);
  const streams = new DynamoDBStreamsClient(local);

  const shards = new Map<string, ShardState>();
  const readers = new Set<Promise<void>>();
  const stopping = new AbortController();
  let wake = new AbortController();
  let tick = 0;
  let describedAt = 0;
  let waiters = 0;
  let inFlight = 0;

  const wakeAll = () => {
    wake.abort();
    wake = new AbortController();
  };
  const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);
  const backoff = (failures: number) =>
    pause(Math.min(pollIntervalMs * 2 ** (failures - 1), MAX_BACKOFF_MS), stopping.signal);

  let streamArn: string;
  try {
    streamArn = await latestStreamArn(dynamo, options.tableName);
    await describeShards(options.startingPosition ?? 'LATEST');
    // Fix the starting positions now: a LATEST iterator taken later would miss what is written meanwhile.
    await Promise.all(
      [...shards.values()].filter(readable).map(async (s) => (s.iterator = await iteratorFor(s))),
    );
  } catch (error) {
    dynamo.destroy();
    streams.destroy();
    throw error;
  }
  startReaders();
  const supervisor = supervise();

  async function describeShards(initial?: 'TRIM_HORIZON' | 'LATEST') {
    const started = ++tick;
    const seen = new Set<string>();
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      for (const shard of page.StreamDescription?.Shards ?? []) addShard(shard, initial, seen);
      exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    // Shards trimmed from the stream (24 h on AWS) are forgotten once read.
    for (const [id, shard] of shards) if (shard.done && !seen.has(id)) shards.delete(id);
    describedAt = started;
  }

  function addShard(shard: Shard, initial: 'TRIM_HORIZON' | 'LATEST' | undefined, seen: Set<string>) {
    if (!shard.ShardId) return;
    seen.add(shard.ShardId);
    if (shards.has(shard.ShardId)) return;
    const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    shards.set(shard.ShardId, {
      id: shard.ShardId,
      parentId: shard.ParentShardId,
      // Shards found later are children of ones being read: read them whole, as Lambda does.
      startAt: initial ?? 'TRIM_HORIZON',
      // With LATEST, shards already closed at start-up hold nothing new.
      done: initial === 'LATEST' && closed,
      reading: false,
      idleSince: 0,
    });
  }

  function readable(shard: ShardState): boolean {
    const parent = shard.parentId === undefined ? undefined : shards.get(shard.parentId);
    return !shard.done && (parent === undefined || parent.done);
  }

  function startReaders() {
    if (stopping.signal.aborted) return;
    for (const shard of shards.values()) {
      if (shard.reading || !readable(shard)) continue;
      shard.reading = true;
      const reader = readShard(shard).finally(() => {
        shard.reading = false;
        readers.delete(reader);
      });
      readers.add(reader);
    }
  }

  async function supervise() {
    let failures = 0;
    // Re-describes every SHARD_REFRESH_MS, and at once when woken (a shard closed, caughtUp).
    while (!stopping.signal.aborted) {
      const signal = wake.signal;
      try {
        await describeShards();
        failures = 0;
        startReaders();
      } catch (error) {
        report(error);
        await backoff(++failures);
        continue;
      }
      await pause(SHARD_REFRESH_MS, signal);
    }
  }

  async function iteratorFor(shard: ShardState): Promise<string> {
    const position = shard.checkpoint
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: shard.checkpoint }
      : { ShardIteratorType: shard.startAt };
    const result = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.id, ...position }),
    );
    if (!result.ShardIterator) throw new Error(`GetShardIterator returned no iterator for shard ${shard.id}`);
    return result.ShardIterator;
  }

  async function readShard(shard: ShardState) {
    let failures = 0;
    while (!stopping.signal.aborted) {
      const signal = wake.signal;
      try {
        shard.iterator ??= await iteratorFor(shard);
        const readStarted = ++tick;
        const page = await streams.send(
          new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: batchSize }),
        );
        failures = 0;
        const records = page.Records ?? [];
        if (records.length > 0) await deliver(shard, records);
        if (stopping.signal.aborted) return;
        shard.iterator = page.NextShardIterator;
        if (!shard.iterator) {
          // Closed and fully read: its children may start, and may not be described yet.
          shard.done = true;
          wakeAll();
          startReaders();
          return;
        }
        if (records.length === 0) {
          shard.idleSince = readStarted;
          await pause(waiters > 0 ? Math.min(pollIntervalMs, 20) : pollIntervalMs, signal);
        }
      } catch (error) {
        report(error);
        if (isIteratorGone(error)) shard.iterator = undefined;
        if (errorName(error) === 'TrimmedDataAccessException') {
          shard.checkpoint = undefined;
          shard.startAt = 'TRIM_HORIZON';
        }
        await backoff(++failures);
      }
    }
  }

  async function deliver(shard: ShardState, records: SdkRecord[]) {
    let pending = records.map((record) => toLambdaRecord(record, streamArn));
    for (let attempt = 1; pending.length > 0 && !stopping.signal.aborted; attempt++) {
      let failedAt: number | undefined;
      let cause: unknown;
      inFlight++;
      try {
        failedAt = firstFailure(await options.handler({ Records: pending }), pending);
        cause = new Error(
          `the handler reported batchItemFailures from record ${failedAt} of ${pending.length}`,
        );
      } catch (error) {
        failedAt = 0;
        cause = error;
      } finally {
        inFlight--;
      }
      if (failedAt === undefined) {
        shard.checkpoint = pending.at(-1)?.dynamodb?.SequenceNumber;
        return;
      }
      // Checkpoint before the lowest failed record; the retry starts there.
      if (failedAt > 0) shard.checkpoint = pending[failedAt - 1]?.dynamodb?.SequenceNumber;
      pending = pending.slice(failedAt);
      if (attempt > maxRetries) {
        report(new StreamBatchSkippedError(shard.id, pending, attempt, { cause }));
        shard.checkpoint = pending.at(-1)?.dynamodb?.SequenceNumber;
        return;
      }
      await backoff(attempt);
    }
  }

  async function caughtUp() {
    const since = ++tick;
    waiters++;
    wakeAll();
    try {
      while (!stopping.signal.aborted) {
        const shardsIdle = [...shards.values()].every(
          (s) => !readable(s) || (s.reading && s.idleSince > since),
        );
        if (describedAt > since && inFlight === 0 && shardsIdle) return;
        await sleep(10);
      }
    } finally {
      waiters--;
    }
  }

  const stop = once(async () => {
    stopping.abort();
    wakeAll();
    await supervisor;
    while (readers.size > 0) await Promise.all(readers);
    dynamo.destroy();
    streams.destroy();
  });

  return { streamArn, stop, caughtUp };
}

async function latestStreamArn(dynamo: DynamoDBClient, tableName: string): Promise<string> {
  let table: DescribeTableCommandOutput;
  try {
    table = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      throw new Error(`Cannot read the stream of table "${tableName}": the table does not exist`, {
        cause: error,
      });
    }
    throw error;
  }
  const spec = table.Table?.StreamSpecification;
  const arn = table.Table?.LatestStreamArn;
  if (!spec?.StreamEnabled || !arn || spec.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
    throw new Error(
      `Cannot read the stream of table "${tableName}": it needs a stream with NEW_AND_OLD_IMAGES, ` +
        `got ${JSON.stringify(spec ?? { StreamEnabled: false })}. Create or update the table with ` +
        `StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }`,
    );
  }
  return arn;
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isIteratorGone(error: unknown): boolean {
  const name = errorName(error);
  return name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException';
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}
