// The measuring parts of the all-in benchmark (bench/all-in.bench.ts): nodes through the Lambda
// worker handler, the monitor handler over stream records with SNS counted, and a tap on the
// process's output for log bytes.

import { performance } from 'node:perf_hooks';
import type { Logger } from '@aws-lambda-powertools/logger';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBRecord, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { MONITOR_MEMORY_MB } from '../infra/constructs/monitor.ts';
import type { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { monitorStreamFilters, passesStreamFilters } from '../shared/adapters/aws/dynamodb-run-stream.ts';
import { SnsNotifier } from '../shared/adapters/aws/sns-notifier.ts';
import { isTransientAwsError } from '../shared/adapters/aws/transient-errors.ts';
import type { RunEngine } from '../shared/engine/run-engine.ts';
import { createMonitorHandler, monitorMetrics } from '../shared/handlers/monitor.ts';
import { createWorkerHandler } from '../shared/handlers/worker.ts';
import type { NodeEventLevel } from '../shared/monitor/events.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { Queue, ReceivedMessage } from '../shared/ports/queue.ts';
import { type DynamoCounts, diffCounts, snapshot } from './dynamo-counting.ts';
import type { DeliverBatch } from './engine-driver.ts';

/** The AWS composition's logger and metric counter, as functions/worker.ts wires them. */
export interface WorkerLogging {
  readonly logger: Logger;
  readonly countMetric: (name: string) => void;
}

/** Billed bytes of one log event besides its text (CloudWatch Logs' per-event overhead). */
export const LOG_EVENT_OVERHEAD = 26;
/** X-Ray's default sampling rule beyond its reservoir of one trace a second. */
export const XRAY_SAMPLED = 0.05;
/**
 * The platform lines of one traced invocation at Lambda's default (INFO) system log level, in
 * their text format: START, END, REPORT and its XRAY line. Workers keep these at WARN (none).
 */
const REQUEST_ID = '5f0c1e52-2b7e-4c2a-9d1b-3f6a7e8c9d01';
const PLATFORM_LINES = [
  `START RequestId: ${REQUEST_ID} Version: $LATEST`,
  `END RequestId: ${REQUEST_ID}`,
  `REPORT RequestId: ${REQUEST_ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: ${MONITOR_MEMORY_MB} MB\tMax Memory Used: 98 MB\t`,
  'XRAY TraceId: 1-6745a1b2-5f0c1e522b7e4c2a9d1b3f6a\tSegmentId: 7e8c9d015f0c1e52\tSampled: true\t',
];
export const PLATFORM_BYTES = PLATFORM_LINES.reduce(
  (sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD,
  0,
);

/** Counts what the process writes to stdout and stderr while on (and keeps it off the terminal). */
export class LogTap {
  bytes = 0;
  events = 0;
  on = false;
  constructor() {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (!this.on) return write(chunk, ...rest);
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
        for (const line of text.split('\n')) {
          if (line === '') continue;
          this.bytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD;
          this.events += 1;
        }
        return true;
      }) as typeof stream.write;
    }
  }
  take(): { bytes: number; events: number } {
    const taken = { bytes: this.bytes, events: this.events };
    this.bytes = 0;
    this.events = 0;
    return taken;
  }
}
/** The one tap on this process's output. */
export const tap = new LogTap();

/** A received message as the SQS event source hands it to the worker. */
const sqsRecordOf = (message: ReceivedMessage): SQSRecord => ({
  messageId: message.id,
  receiptHandle: message.receipt,
  body: message.body,
  attributes: {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: '0',
    SenderId: 'bench',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:local:000000000000:bench',
  awsRegion: 'local',
});

/** Each batch through the Lambda worker handler, wired as functions/worker.ts wires it. */
export function throughWorkerHandler(aws: WorkerLogging): DeliverBatch {
  const handlers = new Map<RunEngine, ReturnType<typeof createWorkerHandler>>();
  return async (engine: RunEngine, queue: Queue, batch: readonly ReceivedMessage[]) => {
    let handler = handlers.get(engine);
    if (handler === undefined) {
      handler = createWorkerHandler({
        engine,
        queue,
        isTransient: isTransientAwsError,
        log: (level, message, details) => aws.logger[level](message, { ...details }),
        count: aws.countMetric,
        random: Math.random,
      });
      handlers.set(engine, handler);
    }
    const response = await handler(
      { Records: batch.map(sqsRecordOf) },
      { getRemainingTimeInMillis: () => 60_000 },
    );
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    await Promise.all(
      batch.filter((message) => !failed.has(message.id)).map((message) => queue.delete(message.receipt)),
    );
  };
}

export interface MonitorCounts {
  readonly invocations: number;
  readonly billedMs: number;
  readonly readUnits: number;
  readonly snsPublishes: number;
  readonly events: number;
  readonly logBytes: number;
}

/** SNS bills a PublishBatch per 64 KB of its messages and attributes. */
function billedPublishes(input: PublishBatchCommandInput): number {
  const bytes = (input.PublishBatchRequestEntries ?? []).reduce((sum, entry) => {
    const attributes = Object.entries(entry.MessageAttributes ?? {}).reduce(
      (size, [name, value]) =>
        size + name.length + (value.StringValue?.length ?? 0) + (value.DataType?.length ?? 0),
      0,
    );
    return sum + Buffer.byteLength(entry.Message ?? '') + attributes;
  }, 0);
  return Math.max(1, Math.ceil(bytes / 65_536));
}

/**
 * The monitor over the records of some runs at a node-event level: the records that pass the
 * mapping's filter, in invocations of `batchSize` records (100: a busy stream fills batches; 1: a
 * trickle, each record alone), with SNS mocked and counted and run reads counted on DynamoDB Local.
 */
export async function measureMonitor(
  records: readonly DynamoDBRecord[],
  level: NodeEventLevel,
  batchSize: number,
  store: { doc: DynamoDbRunStore; counts: DynamoCounts },
  logError: (message: string, details: unknown) => void,
): Promise<MonitorCounts> {
  const passed = records.filter((record) => passesStreamFilters(record, monitorStreamFilters(level)));
  const sns = mockClient(SNSClient);
  let snsPublishes = 0;
  let events = 0;
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    snsPublishes += billedPublishes(input);
    const entries = input.PublishBatchRequestEntries ?? [];
    events += entries.length;
    return { Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id })), Failed: [] };
  });
  const handler = createMonitorHandler({
    notifier: new SnsNotifier({
      client: new SNSClient({ region: 'local' }),
      topicArn: 'arn:aws:sns:local:0:bench',
    }),
    metrics: monitorMetrics('bench'),
    runContext: async (runId) => {
      const run = await store.doc.getRun(runId);
      return run && { tenant: run.tenant, workflow: run.workflow, version: run.version };
    },
    clock: systemClock,
    log: logError,
    nodeEvents: level,
  });
  const readsBefore = snapshot(store.counts);
  let billedMs = 0;
  let invocations = 0;
  tap.take();
  tap.on = true;
  for (let from = 0; from < passed.length; from += batchSize) {
    const started = performance.now();
    await handler({ Records: passed.slice(from, from + batchSize) });
    billedMs += Math.ceil(performance.now() - started);
    invocations += 1;
  }
  tap.on = false;
  sns.restore();
  const logs = tap.take();
  return {
    invocations,
    billedMs,
    readUnits: diffCounts(store.counts, readsBefore).readUnits,
    snsPublishes,
    events,
    logBytes: logs.bytes + invocations * PLATFORM_BYTES,
  };
}
