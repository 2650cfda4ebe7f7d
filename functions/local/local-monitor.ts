/**
 * `npm start`'s monitor (issue 11 item 7), wired as on AWS: the runs table's stream (DynamoDB
 * Local, read by the local stream source, records filtered by the same criteria as the Lambda
 * mapping) → the monitor handler → fauxqs SNS (topic `skein-events`; subscriptions with tenant-
 * pinned filter policies) → for https subscriptions the deliverer's queue (`skein-webhooks`) →
 * the same deliverer handler as on Lambda. Each published event is also written to its run's
 * history and handed to live listeners (the console line, the SSE hub).
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDbEventLog } from '../../shared/adapters/aws/dynamodb-event-log.ts';
import { DynamoDbRunCounters } from '../../shared/adapters/aws/dynamodb-run-counters.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { monitorStreamFilters, passesStreamFilters } from '../../shared/adapters/aws/dynamodb-run-stream.ts';
import { DynamoDbSubscriptionStore } from '../../shared/adapters/aws/dynamodb-subscription-store.ts';
import { SnsNotifier } from '../../shared/adapters/aws/sns-notifier.ts';
import { SnsSubscriptionBinder } from '../../shared/adapters/aws/sns-subscription-binder.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { webhookSender } from '../../shared/adapters/webhook-sender.ts';
import type { GuardOptions } from '../../shared/executors/ssrf-guard.ts';
import { createDelivererHandler } from '../../shared/handlers/deliverer.ts';
import { createMonitorHandler } from '../../shared/handlers/monitor.ts';
import { EventHub } from '../../shared/monitor/event-hub.ts';
import type { NodeEventLevel } from '../../shared/monitor/events.ts';
import { PrometheusMetrics } from '../../shared/monitor/prometheus.ts';
import { recordingNotifier } from '../../shared/monitor/recording-notifier.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Notifier, SkeinEvent } from '../../shared/ports/notifier.ts';
import { type DynamoDbStreamSource, startDynamoDbStreamSource } from './dynamodb-stream-source.ts';
import { createQueue, createTopic, snsClient } from './fauxqs.ts';
import { describe, NO_METRICS } from './monitor-common.ts';
import { type SqsEventSource, startSqsEventSource } from './sqs-event-source.ts';

export interface LocalMonitorOptions {
  /** fauxqs (SQS and SNS). */
  readonly fauxqsEndpoint: string;
  readonly sqs: SQSClient;
  readonly dynamoEndpoint: string;
  readonly doc: DynamoDBDocumentClient;
  readonly runsTable: string;
  readonly controlTable: string;
  readonly clock: Clock;
  /** The SSRF guard of http nodes (allow-list, denied ports): the deliverer applies it too. */
  readonly guard: GuardOptions;
  /** Told about every published event (the console). */
  readonly onEvents?: (events: readonly SkeinEvent[]) => void;
  readonly onError: (error: unknown) => void;
  /** @default 'all': locally an event costs nothing, and the SSE stream shows nodes too */
  readonly nodeEvents?: NodeEventLevel;
}

export interface LocalMonitor {
  readonly subscriptions: {
    readonly subscriptions: DynamoDbSubscriptionStore;
    readonly binder: SnsSubscriptionBinder;
    readonly allowPlainHttp: true;
  };
  readonly events: { readonly log: DynamoDbEventLog; readonly hub: EventHub };
  readonly topicArn: string;
  /** Records, tells the listeners (console, SSE) and publishes events: trigger events go here too. */
  readonly notifier: Notifier;
  /** Prometheus metrics fed by the published events (`GET /metrics`). */
  readonly metrics: PrometheusMetrics;
  /** Per-workflow run counts (`GET .../workflows/{wf}`). */
  readonly runCounters: DynamoDbRunCounters;
  stop(): Promise<void>;
}

/** @example const monitor = await startLocalMonitor({ fauxqsEndpoint, sqs, dynamoEndpoint, doc, runsTable, controlTable, clock, guard, onError }); */
export async function startLocalMonitor(options: LocalMonitorOptions): Promise<LocalMonitor> {
  const sns = snsClient(options.fauxqsEndpoint);
  let stream: DynamoDbStreamSource | undefined;
  let deliverer: SqsEventSource | undefined;
  try {
    const topicArn = await createTopic(sns, 'skein-events');
    const webhookUrl = await createQueue(options.sqs, 'skein-webhooks', { VisibilityTimeout: '60' });
    const { Attributes } = await options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: webhookUrl, AttributeNames: ['QueueArn'] }),
    );
    const webhookQueueArn = Attributes?.QueueArn ?? '';
    const subscriptions = new DynamoDbSubscriptionStore({
      client: options.doc,
      tableName: options.controlTable,
    });
    const binder = new SnsSubscriptionBinder({ client: sns, topicArn, webhookQueueArn });
    const hub = new EventHub();
    const metrics = new PrometheusMetrics();
    const runCounters = new DynamoDbRunCounters({ client: options.doc, tableName: options.runsTable });
    const log = new DynamoDbEventLog({ client: options.doc, tableName: options.runsTable });
    const runs = new DynamoDbRunStore({ client: options.doc, tableName: options.runsTable });
    const level = options.nodeEvents ?? 'all';
    const notifier = recordingNotifier({
      notifier: new SnsNotifier({ client: sns, topicArn }),
      log,
      counters: runCounters,
      listeners: [
        (events) => hub.publish(events),
        (events) => metrics.observe(events),
        ...(options.onEvents ? [options.onEvents] : []),
      ],
    });
    const monitor = createMonitorHandler({
      notifier,
      metrics: NO_METRICS,
      runContext: async (runId) => {
        const run = await runs.getRun(runId);
        return run && { tenant: run.tenant, workflow: run.workflow, version: run.version };
      },
      clock: options.clock,
      log: (message, details) => options.onError(new Error(`${message}: ${describe(details)}`)),
      nodeEvents: level,
    });
    const filters = monitorStreamFilters(level);
    stream = await startDynamoDbStreamSource({
      endpoint: options.dynamoEndpoint,
      tableName: options.runsTable,
      // As the Lambda mapping's filter criteria: other records never reach the monitor.
      handler: async (event: DynamoDBStreamEvent) => {
        const Records = event.Records.filter((record) => passesStreamFilters(record, filters));
        return Records.length === 0 ? { batchItemFailures: [] } : monitor({ Records });
      },
      pollIntervalMs: 200,
      onError: options.onError,
    });
    const queue = new SqsQueue({ client: options.sqs, queueUrl: webhookUrl });
    deliverer = startSqsEventSource({
      queue,
      queueArn: webhookQueueArn,
      handler: createDelivererHandler({
        subscriptions,
        send: webhookSender({ guard: options.guard }),
        queue,
        clock: options.clock,
        log: (message, details) => options.onError(new Error(`${message}: ${describe(details)}`)),
      }),
      waitSeconds: 1,
      onError: options.onError,
    });
    const running = { stream, deliverer };
    return {
      subscriptions: { subscriptions, binder, allowPlainHttp: true },
      events: { log, hub },
      topicArn,
      notifier,
      metrics,
      runCounters,
      stop: async () => {
        await Promise.all([running.stream.stop(), running.deliverer.stop()]);
        sns.destroy();
      },
    };
  } catch (error) {
    await Promise.all([stream?.stop(), deliverer?.stop()]);
    sns.destroy();
    throw error;
  }
}
