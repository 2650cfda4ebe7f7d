import { poolQueueNamesOf, poolTimeoutsOf, prefixed } from './config-pools.ts';
import { formatHttpAllowEntry, parseHttpAllow } from './executors/http-allow.ts';
import { type NodeEventLevel, nodeEventLevelOf } from './monitor/events.ts';

/**
 * The only module that reads the environment. Variable names are constants shared with `infra/`
 * so the CDK app and the handlers cannot drift apart.
 */
export const ENV = {
  definitionsTable: 'SKEIN_DEFINITIONS_TABLE',
  controlTable: 'SKEIN_CONTROL_TABLE',
  runsTable: 'SKEIN_RUNS_TABLE',
  /**
   * JSON object pool name → SQS queue *name* (not URL: names keep the environment of ~20 pools under
   * Lambda's 4 KB); always has `default`. Set on every engine-facing function.
   */
  poolQueues: 'SKEIN_POOL_QUEUES',
  /** `pool=seconds,...`: each pool's function timeout (the api: every pool; a worker: its own). */
  poolTimeouts: 'SKEIN_POOL_TIMEOUTS',
  /** `https://sqs.<region>.<domain>/<account>/`: a pool's queue URL is this and its queue name. */
  queueUrlPrefix: 'SKEIN_QUEUE_URL_PREFIX',
  /** `arn:<partition>:sqs:<region>:<account>:`: a pool's queue ARN (the timer's target) is this and its name. */
  queueArnPrefix: 'SKEIN_QUEUE_ARN_PREFIX',
  /** The worker's own pool queue URL (for ChangeMessageVisibility on hand-back). */
  queueUrl: 'SKEIN_QUEUE_URL',
  /** The SNS topic the monitor publishes run and node events to. */
  eventsTopicArn: 'SKEIN_EVENTS_TOPIC_ARN',
  /**
   * Which node events the monitor publishes: `none`, `failures` or `all` (CDK context
   * `nodeEvents`). @default failures
   */
  nodeEvents: 'SKEIN_NODE_EVENTS',
  /** The webhook deliverer's queue: https subscriptions subscribe it to the events topic. */
  webhookQueueArn: 'SKEIN_WEBHOOK_QUEUE_ARN',
  /** The EventBridge Scheduler schedule group of the timer port's one-time schedules (delays over 15 minutes). */
  timerGroup: 'SKEIN_TIMER_GROUP',
  /** The role EventBridge Scheduler assumes to deliver a timer's message to a pool queue. */
  timerRoleArn: 'SKEIN_TIMER_ROLE_ARN',
  /** The queue a timer's message goes to when Scheduler gives up delivering it. */
  timerDeadLetterArn: 'SKEIN_TIMER_DEAD_LETTER_ARN',
  /** EventBridge bus for `event` nodes: Skein's own bus on AWS (`skein-<stage>`). @default "default" */
  eventBusName: 'SKEIN_EVENT_BUS_NAME',
  /** The trigger queue: URL (the trigger function's sub-minute fan-out), ARN (cron schedules' target). */
  triggerQueueUrl: 'SKEIN_TRIGGER_QUEUE_URL',
  triggerQueueArn: 'SKEIN_TRIGGER_QUEUE_ARN',
  /** Cron triggers' EventBridge Scheduler group, and the role it assumes (send to the trigger queue only). */
  triggerScheduleGroup: 'SKEIN_TRIGGER_SCHEDULE_GROUP',
  triggerSchedulerRoleArn: 'SKEIN_TRIGGER_SCHEDULER_ROLE_ARN',
  stage: 'SKEIN_STAGE',
  dynamoEndpoint: 'SKEIN_DYNAMODB_ENDPOINT',
  port: 'PORT',
  /**
   * `host:port` destinations `http` nodes may call although they are private (comma-separated).
   * Workers on AWS (CDK context `httpAllow`), `npm start` and `skein run` read it. @default none
   */
  httpAllow: 'SKEIN_HTTP_ALLOW',
  /**
   * Functions `lambda` nodes may invoke on AWS: comma-separated names or ARNs (CDK context
   * `lambdaAllow`, which also grants them to the workers). @default none
   */
  lambdaAllow: 'SKEIN_LAMBDA_ALLOW',
  /**
   * State machines `stepfunctions` nodes may start on AWS: comma-separated ARNs (CDK context
   * `stateMachineAllow`, which also grants them to the workers and to the status-change rule).
   * @default none
   */
  stateMachineAllow: 'SKEIN_STATE_MACHINE_ALLOW',
  /**
   * Locally, `lambda` nodes' functions as handler modules: `name=path,...` (`npm start`,
   * `skein run`). @default none
   */
  localFunctions: 'SKEIN_LOCAL_FUNCTIONS',
  /** Bedrock model ids `ai` nodes may use on AWS, comma-separated, the first the default (CDK context `aiModels`). @default none */
  aiModels: 'SKEIN_AI_MODELS',
  /** Locally: an OpenAI-compatible endpoint for `ai` nodes (`SKEIN_AI_API_KEY`, `SKEIN_AI_MODEL` with it). @default none */
  aiBaseUrl: 'SKEIN_AI_BASE_URL',
  aiApiKey: 'SKEIN_AI_API_KEY',
  aiModel: 'SKEIN_AI_MODEL',
  /** Locally: `echo` answers every prompt back, deterministically (tests, demos). @default none */
  aiProvider: 'SKEIN_AI_PROVIDER',
  /**
   * The tenant quota: active runs per tenant at most (more wait QUEUED). Engine functions on AWS
   * (CDK context `tenantMaxActiveRuns`), `npm start` and `skein run` read it. @default none
   */
  tenantMaxActiveRuns: 'SKEIN_TENANT_MAX_ACTIVE_RUNS',
  /** The S3 bucket of large payloads (node outputs, run inputs and outputs over the threshold). */
  payloadBucket: 'SKEIN_PAYLOAD_BUCKET',
  /**
   * Values whose JSON text is longer than this many bytes are kept in the payload bucket, the run
   * item holding a reference (CDK context `payloadThresholdBytes`; `npm start`, `skein run`; read
   * by `config-payloads.ts`). @default 65536
   */
  payloadThresholdBytes: 'SKEIN_PAYLOAD_THRESHOLD_BYTES',
} as const;

export { DEFAULT_POOL } from './config-pools.ts';

/**
 * Receives of a ready-node message before it moves to its pool's dead-letter queue, on AWS and
 * in local mode alike. Infrastructure errors use none (the message is put back, see
 * `deliverMessage`), so only a message that fails for another reason gets there.
 */
export const MAX_RECEIVE_COUNT = 5;

/** The EventBridge event that starts a run (cron rules and trusted producers send it). */
export const START_RUN_EVENT = { source: 'skein', detailType: 'skein.start-run' } as const;

export const LOCAL_TABLES = {
  definitions: 'skein-definitions',
  control: 'skein-control',
  runs: 'skein-runs',
} as const;

/**
 * The Lambda configuration. Every property is read (and checked) when first used, so a function
 * only needs the variables of what it builds; a missing or malformed one is named in the error.
 *
 * | function   | needs                                                                              |
 * | ---------- | ---------------------------------------------------------------------------------- |
 * | api        | stage, definitions, control, runs tables, pool queues + URL prefix                 |
 * | authorizer | stage, control table                                                               |
 * | worker     | stage, definitions + runs tables, pool queues + URL and ARN prefixes, own queue    |
 * |            | URL, timer group, role and dead-letter ARN (bus: optional)                         |
 * | sweeper    | stage, definitions + runs tables, pool queues + URL prefix                         |
 * | trigger    | stage, definitions + runs tables, pool queues + URL prefix, trigger queue URL      |
 * | monitor    | stage, events topic ARN, runs table (read: tenant and workflow of node events)     |
 *
 * Every engine-facing function (api, worker, sweeper, trigger) also needs the payload bucket.
 */
export interface AwsConfig {
  /** `SKEIN_STAGE`: the deployment's stage, a log key and the metrics' dimension. */
  readonly stage: string;
  readonly definitionsTable: string;
  readonly controlTable: string;
  readonly runsTable: string;
  /** Pool name → SQS queue URL (`SKEIN_QUEUE_URL_PREFIX` + the name in `SKEIN_POOL_QUEUES`), with `default`. */
  readonly poolQueues: Readonly<Record<string, string>>;
  /** `SKEIN_POOL_TIMEOUTS`: pool name → function timeout in ms; absent where not set. */
  readonly poolTimeoutsMs: Readonly<Record<string, number>> | undefined;
  /** Pool name → SQS queue ARN (`SKEIN_QUEUE_ARN_PREFIX` + the name in `SKEIN_POOL_QUEUES`): the timer's targets. */
  readonly poolQueueArns: Readonly<Record<string, string>>;
  /** `SKEIN_QUEUE_URL`: the worker's own pool queue (hand-backs). */
  readonly queueUrl: string;
  readonly eventsTopicArn: string;
  /** `SKEIN_NODE_EVENTS`: which node events the monitor publishes (checked on read). */
  readonly nodeEvents: NodeEventLevel;
  /** `SKEIN_WEBHOOK_QUEUE_ARN`: the webhook deliverer's queue. */
  readonly webhookQueueArn: string;
  /** `SKEIN_TIMER_GROUP`, `SKEIN_TIMER_ROLE_ARN`, `SKEIN_TIMER_DEAD_LETTER_ARN`: the Scheduler timer. */
  readonly timer: { readonly group: string; readonly roleArn: string; readonly deadLetterArn: string };
  /** `SKEIN_EVENT_BUS_NAME`, `default` when unset. */
  readonly eventBusName: string;
  /** `SKEIN_TRIGGER_QUEUE_URL`: the trigger function's own queue (sub-minute fan-out). */
  readonly triggerQueueUrl: string;
  /** `SKEIN_TRIGGER_SCHEDULE_GROUP`, `..._SCHEDULER_ROLE_ARN`, `..._QUEUE_ARN`: cron triggers' schedules. */
  readonly triggerSchedules: { readonly group: string; readonly roleArn: string; readonly queueArn: string };
  /** `SKEIN_HTTP_ALLOW`: `host:port` entries for the http executor's allow-list, none when unset. */
  readonly httpAllow: readonly string[];
  /** `SKEIN_TENANT_MAX_ACTIVE_RUNS`: the tenant quota, none when unset. */
  readonly tenantMaxActiveRuns: number | undefined;
  /** `SKEIN_PAYLOAD_BUCKET`: where values over the threshold are kept. */
  readonly payloadBucket: string;
}

/**
 * Reads the Lambda configuration lazily: each property is read from the environment on access
 * and throws naming the variable when it is missing or malformed.
 * @example
 * const config = awsConfig();
 * new DynamoDbRunStore({ client: doc, tableName: config.runsTable }); // throws if SKEIN_RUNS_TABLE is unset
 */
export function awsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  return {
    get stage() {
      return required(env, ENV.stage);
    },
    get definitionsTable() {
      return required(env, ENV.definitionsTable);
    },
    get controlTable() {
      return required(env, ENV.controlTable);
    },
    get runsTable() {
      return required(env, ENV.runsTable);
    },
    get poolQueues() {
      return prefixed(parsePoolQueueNames(required(env, ENV.poolQueues)), required(env, ENV.queueUrlPrefix));
    },
    get poolTimeoutsMs() {
      const raw = env[ENV.poolTimeouts];
      return raw === undefined || raw === '' ? undefined : parsePoolTimeouts(raw);
    },
    get poolQueueArns() {
      return prefixed(parsePoolQueueNames(required(env, ENV.poolQueues)), required(env, ENV.queueArnPrefix));
    },
    get queueUrl() {
      return required(env, ENV.queueUrl);
    },
    get eventsTopicArn() {
      return required(env, ENV.eventsTopicArn);
    },
    get webhookQueueArn() {
      return required(env, ENV.webhookQueueArn);
    },
    get nodeEvents() {
      try {
        return nodeEventLevelOf(env[ENV.nodeEvents]);
      } catch (error) {
        throw new Error(`${ENV.nodeEvents}: ${(error as Error).message}`);
      }
    },
    get timer() {
      return {
        group: required(env, ENV.timerGroup),
        roleArn: required(env, ENV.timerRoleArn),
        deadLetterArn: required(env, ENV.timerDeadLetterArn),
      };
    },
    get eventBusName() {
      return env[ENV.eventBusName] || 'default';
    },
    get triggerQueueUrl() {
      return required(env, ENV.triggerQueueUrl);
    },
    get triggerSchedules() {
      const read = (name: string) => required(env, name);
      const group = read(ENV.triggerScheduleGroup);
      return { group, roleArn: read(ENV.triggerSchedulerRoleArn), queueArn: read(ENV.triggerQueueArn) };
    },
    get httpAllow() {
      return httpAllowFrom(env);
    },
    get tenantMaxActiveRuns() {
      return tenantQuotaFrom(env);
    },
    get payloadBucket() {
      return required(env, ENV.payloadBucket);
    },
  };
}

/**
 * `SKEIN_TENANT_MAX_ACTIVE_RUNS` as a whole number of at least 1, `undefined` when unset.
 * @example tenantQuotaFrom({ SKEIN_TENANT_MAX_ACTIVE_RUNS: '50' }) // 50
 */
function tenantQuotaFrom(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[ENV.tenantMaxActiveRuns];
  if (raw === undefined || raw === '') return undefined;
  const quota = Number(raw);
  if (!Number.isInteger(quota) || quota < 1) {
    throw new Error(`${ENV.tenantMaxActiveRuns} must be a whole number of at least 1, got "${raw}"`);
  }
  return quota;
}

/**
 * `SKEIN_HTTP_ALLOW` as `host:port` entries (checked: a malformed one throws naming the variable).
 * @example httpAllowFrom({ SKEIN_HTTP_ALLOW: 'localhost:9000,10.0.0.5:443' }) // ['localhost:9000', '10.0.0.5:443']
 */
export function httpAllowFrom(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const raw = env[ENV.httpAllow] ?? '';
  try {
    return parseHttpAllow([raw]).map(formatHttpAllowEntry);
  } catch (error) {
    throw new Error(`${ENV.httpAllow}: ${(error as Error).message}`);
  }
}

export interface LocalConfig {
  readonly port: number;
  /** `SKEIN_HTTP_ALLOW`, to be merged with `--allow-http` flags. */
  readonly httpAllow: readonly string[];
  /** `SKEIN_TENANT_MAX_ACTIVE_RUNS`: the tenant quota, none when unset. */
  readonly tenantMaxActiveRuns: number | undefined;
}

export function localConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const raw = env[ENV.port] ?? '8080';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${ENV.port} must be a port number (0-65535), got "${raw}"`);
  }
  return { port, httpAllow: httpAllowFrom(env), tenantMaxActiveRuns: tenantQuotaFrom(env) };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new Error(`environment variable ${name} is not set; the CDK app sets it on every function`);
  return value;
}

/**
 * Local entry points run on Node 20 (the project's floor); the AWS SDK's notice about its 2027
 * Node 22 floor would greet every `npm start` and `skein` call, so they opt out of it.
 */
export function silenceSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * CloudWatch metrics the monitor writes as EMF (Powertools metrics) and the dashboard and alarms
 * read: namespace, names, and the one dimension (`stage`) every metric carries.
 */
export const METRICS = {
  namespace: 'Skein',
  dimension: 'stage',
  runsStarted: 'RunsStarted',
  runsSucceeded: 'RunsSucceeded',
  runsFailed: 'RunsFailed',
  runsCancelled: 'RunsCancelled',
  runsTimedOut: 'RunsTimedOut',
  nodesSucceeded: 'NodesSucceeded',
  nodesFailed: 'NodesFailed',
  /** Milliseconds from a node's start to its end (all attempts). */
  nodeDuration: 'NodeDuration',
  /** Milliseconds from a run's creation to its end. */
  runDuration: 'RunDuration',
} as const;

/** Lambda entry points in `functions/`, bundled by the CDK app; each exports `handler`. */
export const HANDLER_ENTRIES = {
  api: 'functions/api.ts',
  authorizer: 'functions/authorizer.ts',
  worker: 'functions/worker.ts',
  sweeper: 'functions/sweeper.ts',
  trigger: 'functions/trigger.ts',
  monitor: 'functions/monitor.ts',
  deliverer: 'functions/deliverer.ts',
  'state-machine-events': 'functions/state-machine-events.ts',
} as const;

/**
 * The entries of the sandbox's hosts (`shared/adapters/sandbox/`: child processes for
 * expressions, worker threads for scripts): run from `source` under tsx, and bundled by the CDK
 * app as `bundle` next to the `index.mjs` of each function that evaluates expressions (worker,
 * sweeper) or runs scripts (worker).
 */
export const SANDBOX_ENTRIES = {
  expressions: {
    source: 'shared/adapters/sandbox/expression-host.ts',
    bundle: 'sandbox-expressions.mjs',
  },
  scripts: { source: 'shared/adapters/sandbox/script-host.ts', bundle: 'sandbox-scripts.mjs' },
} as const;

/** A lane of the sandbox: its hosts run expressions or scripts. */
export type SandboxLane = keyof typeof SANDBOX_ENTRIES;

/** Parses `SKEIN_POOL_QUEUES` (see `poolQueueNamesOf`). */
export const parsePoolQueueNames = (raw: string) => poolQueueNamesOf(raw, ENV.poolQueues);
/** Parses `SKEIN_POOL_TIMEOUTS` (see `poolTimeoutsOf`). */
export const parsePoolTimeouts = (raw: string) => poolTimeoutsOf(raw, ENV.poolTimeouts);
