/**
 * The AWS composition: everything a Lambda function needs, built once per cold start and only
 * when first used, so each function reads just the environment variables of what it builds
 * (`awsConfig` names a missing one). SDK clients take region and credentials from the Lambda
 * environment. The entry points in `functions/` pick what they need:
 *
 * | function   | uses                                           | variables (besides `SKEIN_STAGE`)                       |
 * | ---------- | ---------------------------------------------- | ------------------------------------------------------- |
 * | api        | `engine`, `definitions`, `apiKeys`             | DEFINITIONS, CONTROL, RUNS tables, POOL_QUEUES           |
 * | authorizer | `authorizer`                                   | CONTROL table                                            |
 * | worker     | `engine`, `workerQueue`                        | DEFINITIONS, RUNS, POOL_QUEUES, QUEUE_URL, TIMER ARN     |
 * | sweeper    | `engine`                                       | DEFINITIONS, RUNS, POOL_QUEUES                           |
 * | trigger    | `engine`                                       | DEFINITIONS, RUNS, POOL_QUEUES                           |
 * | monitor    | `notifier`, `metrics`, `runContext`            | EVENTS_TOPIC_ARN, RUNS table (read)                      |
 *
 * The engine's timer reads `SKEIN_TIMER_STATE_MACHINE_ARN` on the first delay over 15 minutes
 * (only workers schedule those; the worker checks it at cold start) and the `event` executor
 * `SKEIN_EVENT_BUS_NAME` (default bus when unset). The engine's `sandbox` starts its hosts only
 * when an expression or a script first runs: in the worker and the sweeper, whose bundles carry
 * the host entries.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { EventBridgePublisher } from '../../shared/adapters/aws/eventbridge-publisher.ts';
import { SfnTimer } from '../../shared/adapters/aws/sfn-timer.ts';
import { SnsNotifier } from '../../shared/adapters/aws/sns-notifier.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { PooledQueue } from '../../shared/adapters/pooled-queue.ts';
import { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { FailureLimiter } from '../../shared/api/failure-limiter.ts';
import { AWS_KEY_CACHE_MS, keyResolver } from '../../shared/api/key-resolver.ts';
import { awsConfig } from '../../shared/config.ts';
import { RunEngine } from '../../shared/engine/run-engine.ts';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import type { AuthorizerDeps } from '../../shared/handlers/authorizer.ts';
import { monitorMetrics } from '../../shared/handlers/monitor.ts';
import type { RunContextLookup } from '../../shared/monitor/run-context.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import type { Timer } from '../../shared/ports/timer.ts';

/** A value built on first use, then kept for the life of the Lambda instance. */
function once<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

export const config = awsConfig();

/** Structured JSON logs, service `skein`, with the stage on every line. */
export const logger = new Logger({ serviceName: 'skein', persistentKeys: { stage: config.stage } });

/** `(message, details)` logging for the shared handlers and the API. */
export const logError = (message: string, details: unknown): void => {
  if (details instanceof Error) logger.error(message, details);
  else logger.error(message, { details });
};

/**
 * X-Ray segments for every AWS SDK call (the CDK app turns active tracing on); outside Lambda,
 * as in tests, Powertools disables it.
 */
export const tracer = new Tracer({ serviceName: 'skein' });

const dynamo = once(() =>
  DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);
const sqs = once(() => tracer.captureAWSv3Client(new SQSClient({})));
const sfn = once(() => tracer.captureAWSv3Client(new SFNClient({})));
const sns = once(() => tracer.captureAWSv3Client(new SNSClient({})));
const eventBridge = once(() => tracer.captureAWSv3Client(new EventBridgeClient({})));

export const definitions = once(
  () => new DynamoDbDefinitionStore({ client: dynamo(), tableName: config.definitionsTable }),
);
/** API keys in the control table: the api function reads and writes them, the authorizer reads. */
export const apiKeys = once(
  () => new DynamoDbApiKeyStore({ client: dynamo(), tableName: config.controlTable }),
);
const runs = once(() => new DynamoDbRunStore({ client: dynamo(), tableName: config.runsTable }));

/**
 * The authorizer's key lookup (found keys cached per instance for `AWS_KEY_CACHE_MS`, read-only:
 * it records no use) and its per-instance limit on unknown keys per source address.
 */
export const authorizer = once(
  (): AuthorizerDeps => ({
    resolver: keyResolver(apiKeys(), { clock: systemClock, cacheTtlMs: AWS_KEY_CACHE_MS, log: logError }),
    limiter: new FailureLimiter(systemClock.now),
    log: logError,
  }),
);

const sfnTimer = once(
  () =>
    new SfnTimer({
      client: sfn(),
      stateMachineArn: config.timerStateMachineArn,
      queueUrls: config.poolQueues,
    }),
);
/** The timer, built on its first use: only workers schedule delays over 15 minutes. */
const lazyTimer: Timer = { schedule: (body, atMs, pool) => sfnTimer().schedule(body, atMs, pool) };

/**
 * Worker threads for tenant code (expressions, scripts), started on first use: the api and the
 * trigger never evaluate, so they never start one. Its entries are bundled next to `index.mjs`
 * of the functions that do (worker, sweeper; see `infra/constructs/lambda.ts`).
 */
export const sandbox = once(() => new SandboxPool());

/** The run engine on DynamoDB, one SQS queue per worker pool, Step Functions and EventBridge. */
export const engine = once(() => {
  const pools = Object.fromEntries(
    Object.entries(config.poolQueues).map(([pool, queueUrl]) => [
      pool,
      new SqsQueue({ client: sqs(), queueUrl }),
    ]),
  );
  const eventBusName = config.eventBusName;
  return new RunEngine({
    runs: runs(),
    definitions: definitions(),
    queue: new PooledQueue(pools),
    timer: lazyTimer,
    clock: systemClock,
    ids: randomIds,
    executors: defaultExecutors({
      // SKEIN_HTTP_ALLOW (CDK context `httpAllow`): host:port entries, none by default.
      http: { allow: config.httpAllow },
      event: { publisher: new EventBridgePublisher({ client: eventBridge(), eventBusName }) },
      script: { sandbox: sandbox() },
    }),
    sandbox: sandbox(),
    random: Math.random,
    // SKEIN_TENANT_MAX_ACTIVE_RUNS (CDK context `tenantMaxActiveRuns`): the tenant quota, none by default.
    ...(config.tenantMaxActiveRuns === undefined
      ? {}
      : { settings: { maxActiveRunsPerTenant: config.tenantMaxActiveRuns } }),
  });
});

/** The worker's own pool queue, for hand-backs; checks the timer's ARN too, so a worker fails at cold start. */
export const workerQueue = once(() => {
  sfnTimer();
  return new SqsQueue({ client: sqs(), queueUrl: config.queueUrl });
});

export const notifier = once(() => new SnsNotifier({ client: sns(), topicArn: config.eventsTopicArn }));

export const metrics = once(() => monitorMetrics(config.stage));

/** Tenant, workflow and version of a run, for node events (one read per run per instance). */
export const runContext = once((): RunContextLookup => {
  const store = runs();
  return async (runId) => {
    const run = await store.getRun(runId);
    return run && { tenant: run.tenant, workflow: run.workflow, version: run.version };
  };
});
