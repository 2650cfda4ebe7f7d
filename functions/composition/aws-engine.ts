/**
 * The engine's composition on AWS: DynamoDB, one SQS queue per pool and the EventBridge Scheduler
 * timer, built once per cold start and only when first used (api, sweeper, trigger import it; the
 * worker adds its executors in `aws-worker.ts`; the authorizer and the monitor import neither).
 * Only workers run nodes, so {@link engine} has only the flow kinds (`condition`, `wait`: pure) and
 * `stepfunctions` (to stop the executions of a stopped run), and the api, sweeper and trigger
 * bundle no EventBridge client and no executor that does other work.
 *
 * The timer reads `SKEIN_TIMER_*` and `SKEIN_QUEUE_ARN_PREFIX` on the first delay over 15
 * minutes (only workers schedule those; the worker checks them at cold start). The engine's
 * `sandbox` starts its hosts only when an expression or a script first runs: in the worker and the
 * sweeper, whose bundles carry the host entries.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { S3PayloadStore } from '../../shared/adapters/aws/s3-payload-store.ts';
import { SchedulerTimer } from '../../shared/adapters/aws/scheduler-timer.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { CachingPayloadStore } from '../../shared/adapters/caching-payload-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { PooledQueue } from '../../shared/adapters/pooled-queue.ts';
import { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { payloadThresholdFrom } from '../../shared/config-payloads.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import { RunEngine } from '../../shared/engine/run-engine.ts';
import { flowExecutors } from '../../shared/executors/flow.ts';
import { StepFunctionsExecutor } from '../../shared/executors/stepfunctions.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import type { Executors } from '../../shared/ports/executors.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import type { Timer } from '../../shared/ports/timer.ts';
import { config, dynamo, logger, once, tracer } from './aws-common.ts';
import { scriptLogWriter } from './aws-script-logs.ts';
import { stateMachines } from './aws-state-machines.ts';

export { config, logError, logger } from './aws-common.ts';

const sqs = once(() => tracer.captureAWSv3Client(new SQSClient({})));
const scheduler = once(() => tracer.captureAWSv3Client(new SchedulerClient({})));

export const definitions = once(
  () => new DynamoDbDefinitionStore({ client: dynamo(), tableName: config.definitionsTable }),
);
const s3 = once(() => tracer.captureAWSv3Client(new S3Client({})));

/**
 * Runs in DynamoDB, values over `SKEIN_PAYLOAD_THRESHOLD_BYTES` in the payload bucket
 * (`SKEIN_PAYLOAD_BUCKET`), the run items holding references. Both variables are read when the
 * store is built, so a function missing one fails on its first run read, naming it, not on the
 * first large value.
 */
const runs = once(
  () =>
    new OffloadingRunStore({
      runs: new DynamoDbRunStore({ client: dynamo(), tableName: config.runsTable }),
      // Immutable objects: a worker reads a parent's large output once for all its children.
      payloads: new CachingPayloadStore({
        payloads: new S3PayloadStore({ client: s3(), bucket: config.payloadBucket }),
      }),
      thresholdBytes: payloadThresholdFrom(),
    }),
);

const schedulerTimer = once(() => {
  const { group, roleArn, deadLetterArn } = config.timer;
  return new SchedulerTimer({
    client: scheduler(),
    groupName: group,
    roleArn,
    deadLetterArn,
    queueArns: config.poolQueueArns,
  });
});
/** The timer, built on its first use: only workers schedule delays over 15 minutes. */
const lazyTimer: Timer = { schedule: (body, atMs, pool) => schedulerTimer().schedule(body, atMs, pool) };

/**
 * Worker threads for tenant code (expressions, scripts), started on first use: the api and the
 * trigger never evaluate, so they never start one. Its entries are bundled next to `index.mjs`
 * of the functions that do (worker, sweeper; see `infra/constructs/lambda.ts`).
 */
export const sandbox = once(() => new SandboxPool());

/**
 * A run engine on DynamoDB, one SQS queue per worker pool and EventBridge Scheduler, running nodes
 * with `executors`.
 */
export function buildEngine(executors: Executors): RunEngine {
  const pools = Object.fromEntries(
    Object.entries(config.poolQueues).map(([pool, queueUrl]) => [
      pool,
      new SqsQueue({ client: sqs(), queueUrl }),
    ]),
  );
  return new RunEngine({
    runs: runs(),
    definitions: definitions(),
    queue: new PooledQueue(pools),
    timer: lazyTimer,
    clock: systemClock,
    ids: randomIds,
    executors,
    sandbox: sandbox(),
    random: Math.random,
    observer: logEngineEvent,
    // What scripts print: one CloudWatch line each, with run, node and attempt.
    onScriptLogs: scriptLogWriter(logger),
    log: (message, details) => logger.warn(message, { ...details }),
    settings: {
      // SKEIN_TENANT_MAX_ACTIVE_RUNS (CDK context `tenantMaxActiveRuns`): the tenant quota, none by default.
      ...(config.tenantMaxActiveRuns === undefined
        ? {}
        : { maxActiveRunsPerTenant: config.tenantMaxActiveRuns }),
      // SKEIN_POOL_TIMEOUTS (a worker: its own pool's): a node without a timeout fits its worker.
      ...(config.poolTimeoutsMs === undefined ? {} : { poolTimeoutsMs: config.poolTimeoutsMs }),
    },
  });
}

/** Engine events worth a log line: failures, retries and stops, never the happy path. */
const LOGGED_EVENTS: ReadonlySet<string> = new Set([
  'node.failed',
  'node.retrying',
  'run.failed',
  'run.timed_out',
  'run.cancelled',
]);

/**
 * The engine observer on AWS: failures, retries and stops are logged with their run, node and
 * attempt; other events are not (a log line per node would cost more than the node, see the
 * all-in cost in bench/RESULTS.md).
 */
export function logEngineEvent(event: EngineEvent): void {
  if (LOGGED_EVENTS.has(event.type)) logger.info(event.type, { ...event });
}

/**
 * The engine of the functions that start, control and sweep runs but never run a node: the flow
 * kinds, whose declarations (a condition's routes) it reads when it releases children, and
 * `stepfunctions`, whose executions a stop (cancel, time-out) stops (`cancelAwaited`).
 */
export const engine = once(() =>
  buildEngine(flowExecutors().register(new StepFunctionsExecutor({ machines: stateMachines() }))),
);

/** The SQS client (the worker's own queue reuses it). */
export { sqs };

/** Builds the timer now: a worker missing one of its variables fails at cold start, naming it. */
export const checkTimer = (): void => {
  schedulerTimer();
};
