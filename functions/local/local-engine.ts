/**
 * What both local runtimes (DynamoDB Local + fauxqs, and the embedded SQLite store) build the same
 * way: the engine (run store behind the offloading decorator, the executors of local mode) and the
 * worker (the Lambda worker handler called by a local SQS event source mapping).
 */
import { isTransientAwsError } from '../../shared/adapters/aws/transient-errors.ts';
import { CachingPayloadStore } from '../../shared/adapters/caching-payload-store.ts';
import { localAiModels } from '../../shared/adapters/local-ai.ts';
import { LocalFunctions, parseLocalFunctions } from '../../shared/adapters/local-functions.ts';
import { QueueRelayTimer } from '../../shared/adapters/memory/queue-relay-timer.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import type { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { localAiFrom, localFunctionsFrom } from '../../shared/config-executors.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import { RunEngine } from '../../shared/engine/run-engine.ts';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import { createWorkerHandler } from '../../shared/handlers/worker.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { DefinitionStore } from '../../shared/ports/definition-store.ts';
import type { EventPublisher } from '../../shared/ports/event-publisher.ts';
import type { Ids } from '../../shared/ports/ids.ts';
import type { PayloadStore } from '../../shared/ports/payload-store.ts';
import type { Queue } from '../../shared/ports/queue.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import type { Secrets } from '../../shared/ports/secrets.ts';
import type { LocalHttpPolicy } from './http-policy.ts';
import { type SqsEventSource, startSqsEventSource } from './sqs-event-source.ts';

export interface LocalEngineOptions {
  readonly runs: RunStore;
  readonly payloads: PayloadStore;
  readonly payloadThresholdBytes?: number | undefined;
  readonly definitions: DefinitionStore;
  readonly queue: Queue;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly sandbox: SandboxPool;
  /** What http nodes may call (`localHttpPolicy`). */
  readonly http: Pick<LocalHttpPolicy, 'allow' | 'deniedPorts'>;
  readonly secrets?: Secrets | undefined;
  readonly eventBus?: EventPublisher | undefined;
  readonly observer?: ((event: EngineEvent) => void) | undefined;
  readonly tenantMaxActiveRuns?: number | undefined;
}

/** @example const engine = localEngine({ runs, payloads, definitions, queue, clock, ids, sandbox, http }); */
export function localEngine(options: LocalEngineOptions): RunEngine {
  const localModels = localAiModels(localAiFrom());
  return new RunEngine({
    runs: new OffloadingRunStore({
      runs: options.runs,
      payloads: new CachingPayloadStore({ payloads: options.payloads }),
      ...(options.payloadThresholdBytes === undefined
        ? {}
        : { thresholdBytes: options.payloadThresholdBytes }),
    }),
    definitions: options.definitions,
    queue: options.queue,
    timer: new QueueRelayTimer(options.queue, options.clock),
    clock: options.clock,
    ids: options.ids,
    executors: defaultExecutors({
      http: {
        allow: options.http.allow,
        deniedPorts: options.http.deniedPorts,
        ...(options.secrets && { secrets: options.secrets }),
      },
      script: { sandbox: options.sandbox },
      // SKEIN_LOCAL_FUNCTIONS: `lambda` nodes call these handler modules.
      lambda: { invoker: new LocalFunctions(parseLocalFunctions(localFunctionsFrom())) },
      // SKEIN_AI_PROVIDER=echo or SKEIN_AI_BASE_URL: what answers `ai` nodes.
      ...(localModels && { ai: { models: localModels } }),
      ...(options.eventBus && { event: { publisher: options.eventBus } }),
    }),
    sandbox: options.sandbox,
    random: Math.random,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.tenantMaxActiveRuns === undefined
      ? {}
      : { settings: { maxActiveRunsPerTenant: options.tenantMaxActiveRuns } }),
  });
}

/** The worker: the Lambda handler, fed by pollers of the ready queue. */
export function startLocalWorker(options: {
  readonly engine: RunEngine;
  readonly queue: Queue;
  readonly queueArn: string;
  readonly concurrency: number;
  readonly onError: (error: unknown) => void;
}): SqsEventSource {
  const { engine, queue, onError } = options;
  return startSqsEventSource({
    queue,
    queueArn: options.queueArn,
    handler: createWorkerHandler({
      engine,
      queue,
      isTransient: isTransientAwsError,
      random: Math.random,
      log: (level, message, details) => {
        if (level === 'error') onError(details.error ?? message);
        else console.warn(`skein worker: ${message}`, details);
      },
    }),
    concurrency: options.concurrency,
    waitSeconds: 1,
    onError,
  });
}
