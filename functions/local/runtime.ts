import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { S3PayloadStore } from '../../shared/adapters/aws/s3-payload-store.ts';
import { FilePayloadStore } from '../../shared/adapters/file-payload-store.ts';
import type { QueueDepth } from '../../shared/adapters/memory/queue.ts';
import { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { MAX_RECEIVE_COUNT } from '../../shared/config.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import type { RunEngine } from '../../shared/engine/run-engine.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import { createSweeperHandler } from '../../shared/handlers/sweeper.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { DefinitionStore } from '../../shared/ports/definition-store.ts';
import type { EventPublisher } from '../../shared/ports/event-publisher.ts';
import type { Ids } from '../../shared/ports/ids.ts';
import type { Secrets } from '../../shared/ports/secrets.ts';
import { createFairReadyQueue } from './fair-ready-queue.ts';
import { createBucket, createQueue, s3Client, sqsClient, startFauxqs } from './fauxqs.ts';
import { localHttpPolicy, QUEUE, STORE, servicePort } from './http-policy.ts';
import { localEngine, startLocalWorker } from './local-engine.ts';
import { type LocalMonitor, type LocalMonitorOptions, startLocalMonitor } from './local-monitor.ts';
import type { SqsEventSource } from './sqs-event-source.ts';

export interface LocalRuntimeOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly runsTable: string;
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  readonly ids: Ids;
  /** Worker pollers in parallel (each handles a batch of up to 10 concurrently). @default 2 */
  readonly concurrency?: number;
  /** How often the sweeper runs. @default 60_000 */
  readonly sweepEveryMs?: number;
  readonly observer?: (event: EngineEvent) => void;
  readonly onError?: (error: unknown) => void;
  /** `host:port` destinations http nodes may call (`--allow-http`, `SKEIN_HTTP_ALLOW`). @default [] */
  readonly httpAllow?: readonly string[];
  /** The store's endpoint: its port is denied to http nodes, like fauxqs's. */
  readonly storeEndpoint?: string;
  /** Told about allow-list entries that were dropped. @default console.warn */
  readonly onNotice?: (message: string) => void;
  /**
   * Buckets tenants are hashed into, each its own fauxqs queue served in turn; 1 puts every
   * tenant in one line, as fauxqs alone would (for comparisons). @default 16
   */
  readonly tenantBuckets?: number;
  /** The tenant quota: active runs per tenant at most (`SKEIN_TENANT_MAX_ACTIVE_RUNS`). @default none */
  readonly tenantMaxActiveRuns?: number;
  /** Where `$secret('name')` values are read (`<data dir>/secrets/`, `SKEIN_SECRET_<NAME>`). @default none */
  readonly secrets?: Secrets;
  /** Values whose JSON text is longer go to the payload store (`SKEIN_PAYLOAD_THRESHOLD_BYTES`). @default 65536 */
  readonly payloadThresholdBytes?: number;
  /**
   * Where large values are kept as files (`<data dir>/payloads`), so they outlive a restart like the
   * runs that reference them. @default fauxqs's S3, in memory (`npm start -- --memory`)
   */
  readonly payloadDir?: string;
  /**
   * Run the monitor on the runs table's stream (needs `storeEndpoint`): events to fauxqs SNS,
   * subscriptions, the webhook deliverer, run histories and the SSE hub. @default not run
   */
  readonly monitor?: Pick<LocalMonitorOptions, 'controlTable' | 'onEvents' | 'nodeEvents'>;
  /** Where `event` nodes put their events (the local bus, matched by event triggers). @default no `event` nodes */
  readonly eventBus?: EventPublisher;
}

export interface LocalRuntime {
  readonly engine: RunEngine;
  /** The ready queue's sub-queue for messages without a tenant (`skein-ready`). */
  readonly queueUrl: string;
  /** Every sub-queue of the ready queue made so far: `skein-ready`, then `skein-ready-<bucket>`. */
  queueUrls(): readonly string[];
  /** Messages in the ready queue, summed over its sub-queues (as SQS approximates them). */
  readyDepth(): Promise<QueueDepth>;
  readonly sqsEndpoint: string;
  /** The bucket of large payloads on fauxqs's S3 (same endpoint as its SQS). */
  readonly payloadBucket: string;
  /** The `host:port`s http nodes may call, after dropping the store's and queue's ports. */
  readonly httpAllow: readonly string[];
  /** The monitor, when `monitor` was given. */
  readonly monitor?: LocalMonitor;
  stop(): Promise<void>;
}

/** Deliveries before a message is parked in the dead-letter queue, as the CDK stack configures. */
const VISIBILITY_SECONDS = 60;

/**
 * The engine's local runtime: fauxqs for SQS (a ready queue with a dead-letter queue, split per
 * bucket of tenants and served in turn as an SQS fair queue serves tenants: `FairQueue`) and for
 * large payloads (files under `payloadDir`, which outlive a restart like a persisted DynamoDB Local;
 * without it fauxqs's S3, in memory), the DynamoDB run store, the sandbox's worker threads for expressions and scripts, and the same
 * worker and sweeper handlers as on Lambda, called by a local event source mapping (SQS poller)
 * and a sweep timer. http nodes may call only the allow-listed `host:port`s, and never the
 * store's or the queue's port.
 * @example const runtime = await startLocalRuntime({ doc, runsTable, definitions, clock, ids });
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const sqs = await startFauxqs();
  const client = sqsClient(sqs.endpoint);
  const s3 = s3Client(sqs.endpoint);
  const onError = options.onError ?? ((error: unknown) => console.error('skein worker:', error));
  const sandbox = new SandboxPool();
  let source: SqsEventSource | undefined;
  let monitor: LocalMonitor | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  try {
    const services = [servicePort(sqs.endpoint, QUEUE)];
    if (options.storeEndpoint) services.push(servicePort(options.storeEndpoint, STORE));
    const http = localHttpPolicy(options.httpAllow ?? [], services);
    for (const notice of http.notices) (options.onNotice ?? console.warn)(notice);
    const dlqUrl = await createQueue(client, 'skein-ready-dlq');
    const dlqArn = await queueArn(client, dlqUrl);
    const ready = await createFairReadyQueue({
      client,
      attributes: {
        VisibilityTimeout: String(VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: String(MAX_RECEIVE_COUNT),
        }),
      },
      ...(options.tenantBuckets === undefined ? {} : { buckets: options.tenantBuckets }),
    });
    const { queue, defaultUrl: queueUrl } = ready;
    const payloadBucket = await createBucket(s3);
    const engine = localEngine({
      runs: new DynamoDbRunStore({ client: options.doc, tableName: options.runsTable }),
      payloads:
        options.payloadDir === undefined
          ? new S3PayloadStore({ client: s3, bucket: payloadBucket })
          : new FilePayloadStore({ dir: options.payloadDir }),
      payloadThresholdBytes: options.payloadThresholdBytes,
      definitions: options.definitions,
      queue,
      clock: options.clock,
      ids: options.ids,
      sandbox,
      http,
      secrets: options.secrets,
      eventBus: options.eventBus,
      observer: options.observer,
      tenantMaxActiveRuns: options.tenantMaxActiveRuns,
    });
    source = startLocalWorker({
      engine,
      queue,
      queueArn: await queueArn(client, queueUrl),
      concurrency: options.concurrency ?? 2,
      onError,
    });
    if (options.monitor && options.storeEndpoint) {
      monitor = await startLocalMonitor({
        ...options.monitor,
        fauxqsEndpoint: sqs.endpoint,
        sqs: client,
        dynamoEndpoint: options.storeEndpoint,
        doc: options.doc,
        runsTable: options.runsTable,
        clock: options.clock,
        guard: { allow: parseHttpAllow(http.allow), deniedPorts: http.deniedPorts },
        onError,
      });
    }
    const sweeper = createSweeperHandler({ engine });
    sweepTimer = setInterval(() => void sweeper().catch(onError), options.sweepEveryMs ?? 60_000);
    sweepTimer.unref();
    const running = source;
    const watching = monitor;
    return {
      engine,
      queueUrl,
      queueUrls: ready.urls,
      readyDepth: ready.depth,
      sqsEndpoint: sqs.endpoint,
      payloadBucket,
      httpAllow: http.allow,
      ...(watching && { monitor: watching }),
      stop: async () => {
        clearInterval(sweepTimer);
        await Promise.all([running.stop(), watching?.stop()]);
        client.destroy();
        s3.destroy();
        await Promise.all([sqs.stop(), sandbox.close()]);
      },
    };
  } catch (error) {
    clearInterval(sweepTimer);
    await Promise.all([source?.stop(), monitor?.stop()]);
    client.destroy();
    s3.destroy();
    await Promise.all([sqs.stop(), sandbox.close()]);
    throw error;
  }
}

async function queueArn(client: ReturnType<typeof sqsClient>, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}
