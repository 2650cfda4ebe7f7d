/**
 * The only module that reads the environment. Variable names are constants shared with `infra/`
 * so the CDK app and the handlers cannot drift apart.
 */
export const ENV = {
  definitionsTable: 'SKEIN_DEFINITIONS_TABLE',
  controlTable: 'SKEIN_CONTROL_TABLE',
  runsTable: 'SKEIN_RUNS_TABLE',
  /** JSON object pool name → SQS queue URL; always has `default`. Set on every engine-facing function. */
  poolQueues: 'SKEIN_POOL_QUEUES',
  /** The worker's own pool queue URL (for ChangeMessageVisibility on hand-back). */
  queueUrl: 'SKEIN_QUEUE_URL',
  /** The SNS topic the monitor publishes run and node events to. */
  eventsTopicArn: 'SKEIN_EVENTS_TOPIC_ARN',
  /** The Step Functions state machine backing the timer port (delays over 15 minutes). */
  timerStateMachineArn: 'SKEIN_TIMER_STATE_MACHINE_ARN',
  /** EventBridge bus for `event` nodes. @default "default" */
  eventBusName: 'SKEIN_EVENT_BUS_NAME',
  stage: 'SKEIN_STAGE',
  dynamoEndpoint: 'SKEIN_DYNAMODB_ENDPOINT',
  port: 'PORT',
} as const;

/** Every deployment has this pool; nodes without `pool` run on it. */
export const DEFAULT_POOL = 'default';

export const LOCAL_TABLES = {
  definitions: 'skein-definitions',
  control: 'skein-control',
  runs: 'skein-runs',
} as const;

export interface AwsConfig {
  readonly definitionsTable: string;
  readonly controlTable: string;
}

/** Reads the Lambda configuration once at cold start; a missing variable is named in the error. */
export function awsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  return {
    definitionsTable: required(env, ENV.definitionsTable),
    controlTable: required(env, ENV.controlTable),
  };
}

export interface LocalConfig {
  readonly port: number;
}

export function localConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const raw = env[ENV.port] ?? '8080';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${ENV.port} must be a port number (0-65535), got "${raw}"`);
  }
  return { port };
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
} as const;
