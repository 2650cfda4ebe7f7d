import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { runTableChange } from '../adapters/aws/dynamodb-run-stream.ts';
import { METRICS } from '../config.ts';
import {
  DEFAULT_NODE_EVENTS,
  eventsOf,
  type ItemChange,
  type NodeEventLevel,
  publishedAt,
} from '../monitor/events.ts';
import { metricsOf } from '../monitor/metrics.ts';
import { type RunContextLookup, RunContexts, runContextOf } from '../monitor/run-context.ts';
import type { Clock } from '../ports/clock.ts';
import { type Notifier, NotifyError, type SkeinEvent } from '../ports/notifier.ts';

export interface MonitorDeps {
  readonly notifier: Notifier;
  /** Powertools metrics with the `stage` dimension only (`monitorMetrics`). */
  readonly metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics' | 'hasStoredMetrics'>;
  /** Reads a run item for node events whose run item is not in the batch (cached per run). */
  readonly runContext?: RunContextLookup;
  /** For records without an approximate creation time. */
  readonly clock: Clock;
  readonly log?: (message: string, details: unknown) => void;
  /**
   * Which node events to publish (and count as metrics); the stream's filter criteria on AWS let
   * only their records through already. @default 'failures'
   */
  readonly nodeEvents?: NodeEventLevel;
}

/**
 * Powertools metrics for the monitor: namespace `Skein` and the single dimension `stage`
 * (Powertools' default `service` dimension is removed: the dashboard and alarms read `stage`).
 * @example const metrics = monitorMetrics('prod');
 */
export function monitorMetrics(stage: string): Metrics {
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: 'skein' });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [METRICS.dimension]: stage });
  return metrics;
}

/**
 * The monitor's Lambda handler, on the runs table's stream (NEW_AND_OLD_IMAGES): maps each
 * record to run and node events (`shared/monitor/events.ts`), keeps the node events of its level
 * (`nodeEvents`), fills in node events' tenant,
 * workflow and version from their run, publishes all events of the batch through the notifier
 * (SNS PublishBatch, 10 per request), and writes EMF metrics. A record whose run could not be
 * read or whose events were not published is reported in `batchItemFailures` (its sequence
 * number), so Lambda retries from there: events are delivered at least once. Metrics are written
 * only for records before the first failure, which Lambda does not deliver again. A record that
 * cannot be read at all is logged and dropped (retrying would not help).
 * @example export const handler = createMonitorHandler({ notifier, metrics: monitorMetrics(stage), clock: systemClock });
 */
export function createMonitorHandler(deps: MonitorDeps) {
  const contexts = new RunContexts(deps.runContext);
  const log = deps.log ?? ((message: string, details: unknown) => console.error(message, details));
  const level = deps.nodeEvents ?? DEFAULT_NODE_EVENTS;
  const wanted = (change: ItemChange) => eventsOf(change).filter((event) => publishedAt(level, event.type));
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const records = event.Records;
    const failures = new Map<DynamoDBRecord, string>();
    const changes = records.map((record) => {
      try {
        const change = runTableChange(record, deps.clock);
        contexts.remember(runContextOf(change));
        return change;
      } catch (error) {
        log('skein monitor: dropped a stream record whose images cannot be read', { record, error });
        return undefined;
      }
    });
    const perRecord = await Promise.all(
      changes.map(async (change, index) => {
        const record = records[index] as DynamoDBRecord;
        try {
          const events = change ? wanted(change) : [];
          return events.length > 0 ? await contexts.fill(events) : [];
        } catch (error) {
          failures.set(record, `the run of record ${record.eventID} could not be read: ${String(error)}`);
          log('skein monitor: reading a run for its node events failed', { eventID: record.eventID, error });
          return [];
        }
      }),
    );
    await publish(deps.notifier, records, perRecord, failures, log);
    writeMetrics(deps.metrics, records, perRecord, failures);
    const processor = new BatchProcessor(EventType.DynamoDBStreams);
    return processPartialResponse(
      event,
      async (record: DynamoDBRecord) => {
        const failure = failures.get(records.find((r) => sameRecord(r, record)) ?? record);
        if (failure !== undefined) throw new Error(failure);
      },
      processor,
      { throwOnFullBatchFailure: false },
    );
  };
}

async function publish(
  notifier: Notifier,
  records: readonly DynamoDBRecord[],
  perRecord: readonly SkeinEvent[][],
  failures: Map<DynamoDBRecord, string>,
  log: (message: string, details: unknown) => void,
): Promise<void> {
  const owners: DynamoDBRecord[] = [];
  const events: SkeinEvent[] = [];
  records.forEach((record, index) => {
    if (failures.has(record)) return;
    for (const item of perRecord[index] ?? []) {
      owners.push(record);
      events.push(item);
    }
  });
  if (events.length === 0) return;
  try {
    await notifier.publish(events);
  } catch (error) {
    log('skein monitor: publishing events failed', error);
    const failed = error instanceof NotifyError ? error.failed.map((f) => f.index) : events.map((_, i) => i);
    for (const index of failed) {
      const owner = owners[index];
      if (owner) failures.set(owner, `event ${events[index]?.type} was not published: ${String(error)}`);
    }
  }
}

function writeMetrics(
  metrics: MonitorDeps['metrics'],
  records: readonly DynamoDBRecord[],
  perRecord: readonly SkeinEvent[][],
  failures: ReadonlyMap<DynamoDBRecord, string>,
): void {
  const firstFailure = records.findIndex((record) => failures.has(record));
  const settled = firstFailure < 0 ? perRecord : perRecord.slice(0, firstFailure);
  for (const event of settled.flat()) {
    for (const point of metricsOf(event)) {
      const unit = point.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds;
      metrics.addMetric(point.name, unit, point.value);
    }
  }
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

function sameRecord(a: DynamoDBRecord, b: DynamoDBRecord): boolean {
  const seq = a.dynamodb?.SequenceNumber;
  return seq !== undefined ? seq === b.dynamodb?.SequenceNumber : a.eventID === b.eventID;
}
