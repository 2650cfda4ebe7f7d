import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { localHttpPolicy } from '../functions/local/http-policy.ts';
import { localAiModels } from '../shared/adapters/local-ai.ts';
import { LocalFunctions, parseLocalFunctions } from '../shared/adapters/local-functions.ts';
import { LocalSecrets } from '../shared/adapters/local-secrets.ts';
import { MemoryDefinitionStore } from '../shared/adapters/memory/definition-store.ts';
import { MemoryPayloadStore } from '../shared/adapters/memory/payload-store.ts';
import { MemoryQueue } from '../shared/adapters/memory/queue.ts';
import { QueueRelayTimer } from '../shared/adapters/memory/queue-relay-timer.ts';
import { MemoryRunStore } from '../shared/adapters/memory/run-store.ts';
import { OffloadingRunStore } from '../shared/adapters/offloading-run-store.ts';
import { SandboxPool } from '../shared/adapters/sandbox/sandbox-pool.ts';
import { LOCAL_TABLES } from '../shared/config.ts';
import { localAiFrom, localFunctionsFrom } from '../shared/config-executors.ts';
import { payloadThresholdFrom } from '../shared/config-payloads.ts';
import { BatchReads } from '../shared/engine/batch-reads.ts';
import type { EngineEvent } from '../shared/engine/context.ts';
import { deliverMessage } from '../shared/engine/delivery.ts';
import { RunEngine } from '../shared/engine/run-engine.ts';
import { defaultExecutors } from '../shared/executors/registry.ts';
import type { DeniedPort } from '../shared/executors/ssrf-guard.ts';
import type { AttemptLogsEntry } from '../shared/ports/attempt-logs.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { DefinitionStore } from '../shared/ports/definition-store.ts';
import { randomIds } from '../shared/ports/ids.ts';
import type { Queue, ReceivedMessage } from '../shared/ports/queue.ts';
import type { RunStore } from '../shared/ports/run-store.ts';
import type { Sandbox } from '../shared/ports/sandbox.ts';

/** Where an in-process run keeps its state. */

/** The ports of an in-process run and how to wait for more work. */
export interface InProcessRuntime {
  readonly runs: RunStore;
  readonly definitions: DefinitionStore;
  readonly queue: Queue;
  /** Worker threads for expressions and scripts; `stop()` ends them. */
  readonly sandbox: Sandbox;
  /** Long polling for `receive` when nothing is in flight (SQS); 0 for the memory queue. */
  readonly pollSeconds: number;
  /** How long to sleep when the queue had nothing: undefined when nothing is pending at all. */
  idleMs(): number | undefined;
  /** Local services http nodes may never call (DynamoDB Local and fauxqs with `--store local`). */
  readonly services: readonly DeniedPort[];
  /** Stops what the runtime started (DynamoDB Local, fauxqs, clients, threads). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Memory adapters and a `MemoryQueue` on the real clock: only the sandbox's threads to stop.
 * Values over `SKEIN_PAYLOAD_THRESHOLD_BYTES` go to a memory payload store, as they go to S3 on
 * AWS, so a value too large for a run item (over 400 KB) is stored here as it is there.
 */
export function memoryRuntime(): InProcessRuntime {
  const queue = new MemoryQueue({ clock: systemClock });
  const sandbox = new SandboxPool();
  return {
    runs: new OffloadingRunStore({
      runs: new MemoryRunStore(),
      payloads: new MemoryPayloadStore(),
      thresholdBytes: payloadThresholdFrom(),
    }),
    definitions: new MemoryDefinitionStore(),
    queue,
    sandbox,
    pollSeconds: 0,
    services: [],
    idleMs: () => {
      const next = queue.nextVisibleAt();
      return next === undefined ? undefined : Math.max(0, next - Date.now());
    },
    stop: () => sandbox.close(),
  };
}

/**
 * The embedded store (`--store local`): a throw-away SQLite database file (removed by `stop()`)
 * holding the run store, definitions and a durable queue with SQS semantics, as `npm start` runs
 * them; large values as files beside it. No Java, no port.
 */
export async function sqliteRuntime(): Promise<InProcessRuntime> {
  // Loaded here so that memory runs do not load SQLite.
  const [
    { localSqliteDeps },
    { FilePayloadStore },
    { mkdtempSync, rmSync },
    { tmpdir },
    { MAX_RECEIVE_COUNT },
  ] = await Promise.all([
    import('../functions/composition/local-sqlite.ts'),
    import('../shared/adapters/file-payload-store.ts'),
    import('node:fs'),
    import('node:os'),
    import('../shared/config.ts'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'skein-run-'));
  const deps = localSqliteDeps(join(dir, 'skein.db'), {
    changeFeed: 'off',
    visibilitySeconds: 60,
    maxReceiveCount: MAX_RECEIVE_COUNT,
  });
  const sandbox = new SandboxPool();
  let stopped: Promise<void> | undefined;
  return {
    runs: new OffloadingRunStore({
      runs: deps.runs,
      payloads: new FilePayloadStore({ dir: join(dir, 'payloads') }),
      thresholdBytes: payloadThresholdFrom(),
    }),
    definitions: deps.definitions,
    queue: deps.queue,
    sandbox,
    // As the memory queue: the drive loop sleeps until the next message is due.
    pollSeconds: 0,
    idleMs: () => {
      const next = deps.queue.nextVisibleAt();
      return next === undefined ? undefined : Math.max(0, next - Date.now());
    },
    services: [],
    stop: () => {
      stopped ??= (async () => {
        await sandbox.close();
        deps.close();
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/**
 * An ephemeral DynamoDB Local (in memory) and fauxqs with the DynamoDB and SQS adapters, as on
 * AWS; the ready queue is split per bucket of tenants and served in turn, as in `npm start`.
 * Everything it starts is stopped by `stop()`; the JVM also dies with this process.
 */
export async function localRuntime(): Promise<InProcessRuntime> {
  // Loaded here so that memory runs do not pay for the AWS SDK.
  const [
    { startDynamoDbLocal, dynamoClients },
    { sqsClient, s3Client, createBucket, startFauxqs },
    { createFairReadyQueue },
    aws,
  ] = await Promise.all([
    import('../functions/local/dynamodb-local.ts'),
    import('../functions/local/fauxqs.ts'),
    import('../functions/local/fair-ready-queue.ts'),
    importAwsAdapters(),
  ]);
  const { servicePort, STORE, QUEUE } = await import('../functions/local/http-policy.ts');
  const names = LOCAL_TABLES;
  const [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqs()]);
  const { client, doc } = dynamoClients(dynamo.endpoint);
  let sqs: SQSClient | undefined;
  const s3 = s3Client(fauxqs.endpoint);
  const sandbox = new SandboxPool();
  const stop = async () => {
    client.destroy();
    sqs?.destroy();
    s3.destroy();
    await Promise.all([dynamo.stop(), fauxqs.stop(), sandbox.close()]);
  };
  try {
    sqs = sqsClient(fauxqs.endpoint);
    const [ready, bucket] = await Promise.all([
      createFairReadyQueue({ client: sqs }),
      createBucket(s3),
      aws.createTables(client, names),
    ]);
    return {
      // As `npm start`: values over the threshold in fauxqs's S3, the items holding references.
      runs: new aws.OffloadingRunStore({
        runs: new aws.DynamoDbRunStore({ client: doc, tableName: names.runs }),
        payloads: new aws.S3PayloadStore({ client: s3, bucket }),
        thresholdBytes: payloadThresholdFrom(),
      }),
      definitions: new aws.DynamoDbDefinitionStore({ client: doc, tableName: names.definitions }),
      queue: ready.queue,
      sandbox,
      pollSeconds: 1,
      idleMs: () => 100,
      services: [servicePort(dynamo.endpoint, STORE), servicePort(fauxqs.endpoint, QUEUE)],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function importAwsAdapters() {
  const [{ DynamoDbDefinitionStore }, { DynamoDbRunStore }, { createTables }, { S3PayloadStore }] =
    await Promise.all([
      import('../shared/adapters/aws/dynamodb-definition-store.ts'),
      import('../shared/adapters/aws/dynamodb-run-store.ts'),
      import('../shared/adapters/aws/tables.ts'),
      import('../shared/adapters/aws/s3-payload-store.ts'),
    ]);
  return { DynamoDbDefinitionStore, DynamoDbRunStore, createTables, S3PayloadStore, OffloadingRunStore };
}

/** What http nodes of an in-process run may call. */
export interface HttpAccess {
  /** `host:port` entries (`--allow-http`, `SKEIN_HTTP_ALLOW`). */
  readonly allow: readonly string[];
  /** Told about entries dropped because they name a local service's port. */
  readonly onNotice: (message: string) => void;
}

/**
 * An engine over the runtime's ports with the real clock and local-mode executors: http nodes
 * reach only the allow-listed `host:port`s, never the runtime's own services.
 */
export function engineFor(
  runtime: InProcessRuntime,
  observer: (event: EngineEvent) => void,
  http: HttpAccess = { allow: [], onNotice: () => {} },
  onScriptLogs?: (entry: AttemptLogsEntry) => void,
): RunEngine {
  const policy = localHttpPolicy(http.allow, runtime.services);
  for (const notice of policy.notices) http.onNotice(notice);
  const localModels = localAiModels(localAiFrom());
  return new RunEngine({
    runs: runtime.runs,
    definitions: runtime.definitions,
    queue: runtime.queue,
    timer: new QueueRelayTimer(runtime.queue, systemClock),
    clock: systemClock,
    ids: randomIds,
    executors: defaultExecutors({
      http: {
        allow: policy.allow,
        deniedPorts: policy.deniedPorts,
        // `$secret('name')`: `.skein/secrets/<tenant>/<name>`, else SKEIN_SECRET_<NAME>.
        secrets: new LocalSecrets({ dir: join('.skein', 'secrets') }),
      },
      script: { sandbox: runtime.sandbox },
      // SKEIN_LOCAL_FUNCTIONS: `lambda` nodes call these handler modules.
      lambda: { invoker: new LocalFunctions(parseLocalFunctions(localFunctionsFrom())) },
      // SKEIN_AI_PROVIDER=echo or SKEIN_AI_BASE_URL: what answers `ai` nodes.
      ...(localModels && { ai: { models: localModels } }),
    }),
    sandbox: runtime.sandbox,
    random: Math.random,
    observer,
    ...(onScriptLogs && { onScriptLogs }),
  });
}

const MAX_IN_FLIGHT = 10;
const SWEEP_EVERY_MS = 30_000;

export interface DriveOptions {
  /** True once the run has ended: the loop stops. */
  readonly done: () => boolean;
  /** Aborting stops the loop; in-flight messages get a short grace period. */
  readonly signal?: AbortSignal;
  /** Called with infrastructure errors of a delivery (the message is redelivered later). */
  readonly onError?: (error: unknown) => void;
}

/**
 * The worker loop of an in-process run: receives messages (up to 10 handled at a time), hands
 * each to the engine, deletes it or hands it back, and sleeps until the next delayed message when
 * the queue is idle. Stops when `done()`, when aborted, or when nothing is pending at all.
 */
export async function drive(
  runtime: InProcessRuntime,
  engine: RunEngine,
  options: DriveOptions,
): Promise<void> {
  const { queue } = runtime;
  const inFlight = new Set<Promise<void>>();
  const aborted = new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve()));
  let lastSweep = Date.now();
  const deliver = async (message: ReceivedMessage, reads: BatchReads) => {
    const log = (level: 'warn' | 'error', _message: string, details: Readonly<Record<string, unknown>>) => {
      if (level === 'error') options.onError?.(details.error);
    };
    const delivery = await deliverMessage({ engine, queue, log, random: Math.random }, message, { reads });
    if (delivery.kind === 'done')
      await queue.delete(message.receipt).catch((error: unknown) => options.onError?.(error));
  };
  while (!options.done() && !options.signal?.aborted) {
    const room = MAX_IN_FLIGHT - inFlight.size;
    const batch =
      room > 0
        ? await queue.receive({ max: room, waitSeconds: inFlight.size === 0 ? runtime.pollSeconds : 0 })
        : [];
    const reads = new BatchReads();
    for (const message of batch) {
      const handling: Promise<void> = deliver(message, reads).finally(() => inFlight.delete(handling));
      inFlight.add(handling);
    }
    if (batch.length > 0) continue;
    if (Date.now() - lastSweep > SWEEP_EVERY_MS) {
      lastSweep = Date.now();
      await engine.sweep({ quietMs: SWEEP_EVERY_MS }).catch(options.onError);
    }
    const idle = runtime.idleMs();
    if (idle === undefined && inFlight.size === 0) break;
    const pause = timer(Math.min(idle ?? 1_000, 1_000));
    await Promise.race([pause.done, aborted, ...inFlight]);
    pause.cancel();
  }
  const grace = timer(options.signal?.aborted ? 2_000 : 60_000);
  await Promise.race([Promise.allSettled(inFlight), grace.done]);
  grace.cancel();
}

/** A sleep that can be cancelled, so that no timer keeps the process alive after the run. */
function timer(ms: number) {
  let id: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    id = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(id) };
}
