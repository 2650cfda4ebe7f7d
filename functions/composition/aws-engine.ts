/**
 * The engine's composition on AWS: DynamoDB, one SQS queue per pool and the EventBridge Scheduler
 * timer, built once per cold start and only when first used (api, sweeper, trigger import it; the
 * worker adds its executors in `aws-worker.ts`; the authorizer and the monitor import neither).
 * Only workers run nodes, so {@link engine} has no executors and the api, sweeper and trigger
 * bundles no EventBridge client. (They still carry undici, 0.5 MB, because `ExecutorRegistry`
 * shares `shared/executors/registry.ts` with the executors that import it.)
 *
 * The timer reads `SKEIN_TIMER_*` and `SKEIN_QUEUE_ARN_PREFIX` on the first delay over 15
 * minutes (only workers schedule those; the worker checks them at cold start). The engine's
 * `sandbox` starts its hosts only when an expression or a script first runs: in the worker and the
 * sweeper, whose bundles carry the host entries.
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { SchedulerTimer } from '../../shared/adapters/aws/scheduler-timer.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { PooledQueue } from '../../shared/adapters/pooled-queue.ts';
import { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { RunEngine } from '../../shared/engine/run-engine.ts';
import { ExecutorRegistry } from '../../shared/executors/registry.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import type { Timer } from '../../shared/ports/timer.ts';
import { config, dynamo, once, tracer } from './aws-common.ts';

export { config, logError, logger } from './aws-common.ts';

const sqs = once(() => tracer.captureAWSv3Client(new SQSClient({})));
const scheduler = once(() => tracer.captureAWSv3Client(new SchedulerClient({})));

export const definitions = once(
  () => new DynamoDbDefinitionStore({ client: dynamo(), tableName: config.definitionsTable }),
);
const runs = once(() => new DynamoDbRunStore({ client: dynamo(), tableName: config.runsTable }));

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
export function buildEngine(executors: ExecutorRegistry): RunEngine {
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
    // SKEIN_TENANT_MAX_ACTIVE_RUNS (CDK context `tenantMaxActiveRuns`): the tenant quota, none by default.
    ...(config.tenantMaxActiveRuns === undefined
      ? {}
      : { settings: { maxActiveRunsPerTenant: config.tenantMaxActiveRuns } }),
  });
}

/** The engine of the functions that start, control and sweep runs but never run a node. */
export const engine = once(() => buildEngine(new ExecutorRegistry()));

/** The SQS client (the worker's own queue reuses it). */
export { sqs };

/** Builds the timer now: a worker missing one of its variables fails at cold start, naming it. */
export const checkTimer = (): void => {
  schedulerTimer();
};
