import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_POOL, ENV, START_RUN_EVENT } from '../../shared/config.ts';
import { payloadThresholdFrom } from '../../shared/config-payloads.ts';
import { formatHttpAllowEntry, parseHttpAllow } from '../../shared/executors/http-allow.ts';
import { acknowledgeIndexAccess, acknowledgePayloadAccess, skeinFunction } from './lambda.ts';
import { DEFAULT_POOLS, pascalCase, resolvePools, type WorkerPoolSpec } from './pools.ts';
import { SkeinTimer } from './timer.ts';
import { SkeinTriggers } from './triggers.ts';
import { WorkerPool } from './worker-pool.ts';

/** The trigger function's timeout (the trigger queue's visibility timeout is six times this). */
const TRIGGER_TIMEOUT_SECONDS = 30;

export interface SkeinEngineProps {
  /** Stage of the deployment. */
  readonly stage: string;
  /** Workflow definitions (read by every engine function to compile a run's plan). */
  readonly definitionsTable: ITable;
  /** Run state (read and written by every engine function). */
  readonly runsTable: ITable;
  /** Large payloads referenced from run state (read and written by every engine function). */
  readonly payloadBucket: IBucket;
  /**
   * Values whose JSON text is longer than this many bytes go to the payload bucket
   * (`SKEIN_PAYLOAD_THRESHOLD_BYTES`; 0 to 307,200).
   * @default 65536, the engine's own default (no variable set)
   */
  readonly payloadThresholdBytes?: number;
  /**
   * Worker pools; must include `default`. See {@link WorkerPoolSpec} for each pool's defaults.
   * @default [{ name: 'default' }] (1024 MB, 60 s, at most 50 concurrent workers)
   */
  readonly pools?: readonly WorkerPoolSpec[];
  /**
   * How long function logs are kept.
   * @default one week for `dev`, three months otherwise
   */
  readonly logRetention?: RetentionDays;
  /**
   * `host:port` destinations `http` nodes may call although they are private; given to the
   * workers as `SKEIN_HTTP_ALLOW`. Checked here: an entry without a port throws.
   * @default none: http nodes reach public addresses only
   */
  readonly httpAllow?: readonly string[];
  /**
   * Functions `lambda` nodes may invoke (names in this account and region, or ARNs): the workers
   * get them in `SKEIN_LAMBDA_ALLOW` and `lambda:InvokeFunction` on exactly them.
   * @default none: lambda nodes fail with LAMBDA_NOT_ALLOWED
   */
  readonly lambdaAllow?: readonly string[];
  /**
   * Bedrock model ids `ai` nodes may use (the first is the default): the workers get them in
   * `SKEIN_AI_MODELS` and `bedrock:InvokeModel` on exactly those foundation models.
   * @default none: ai nodes fail with AI_UNAVAILABLE
   */
  readonly aiModels?: readonly string[];
  /**
   * The tenant quota: active runs per tenant at most; more wait QUEUED and start in order.
   * @default none
   */
  readonly tenantMaxActiveRuns?: number;
}

/** The sweeper's memory (it runs every minute: the all-in benchmark prices its invocations at this). */
export const SWEEPER_MEMORY_MB = 512;

/**
 * The run engine: one {@link WorkerPool} per pool (queue, dead-letter queue, worker), the
 * {@link SkeinTimer} for long delays (EventBridge Scheduler), the sweeper (every minute:
 * timed-out runs, expired leases, lost messages), the trigger function and {@link SkeinTriggers}
 * (its queue, cron triggers' schedule group, Skein's event bus). A rule on the default bus puts
 * `skein.start-run` events from source `skein` on the trigger queue.
 *
 * Every engine function gets {@link environment}: the definitions and runs table names,
 * `SKEIN_POOL_QUEUES` (pool → queue *name*: a URL is `SKEIN_QUEUE_URL_PREFIX` and the name, so ~20
 * pools fit Lambda's 4 KB of environment; `resolvePools` refuses more than fit); workers also get
 * their own `SKEIN_QUEUE_URL`, the queue ARN prefix and the timer's group, role and dead-letter
 * queue, Skein's bus name and the http allow-list, if any (only workers run nodes).
 * {@link grantEngineAccess} gives another function (the API) the access every engine function
 * has: run state, definitions, enqueueing on every pool.
 *
 * @example
 * const engine = new SkeinEngine(this, 'Engine', { stage, definitionsTable, runsTable, pools: [{ name: 'default' }] });
 * engine.grantEngineAccess(apiFunction);
 */
export class SkeinEngine extends Construct {
  /** The pools in the order given; the first `default` pool is {@link defaultPool}. */
  public readonly pools: readonly WorkerPool[];
  /** The pool nodes without `pool` run on. */
  public readonly defaultPool: WorkerPool;
  /** Delays longer than 15 minutes. */
  public readonly timer: SkeinTimer;
  /** Runs every minute. */
  public readonly sweeper: IFunction;
  /** Drains the trigger queue: start-run events, cron firings, events of Skein's bus. */
  public readonly trigger: NodejsFunction;
  /** The trigger queue, cron triggers' schedule group and role, Skein's event bus. */
  public readonly triggers: SkeinTriggers;
  /** The rule putting `skein.start-run` events of the default bus on the trigger queue. */
  public readonly startRunRule: Rule;
  /** Environment variables every engine-facing function needs: definitions and runs tables, pool queues. */
  public readonly environment: Readonly<Record<string, string>>;
  /**
   * `SKEIN_POOL_TIMEOUTS` of every pool (`pool=seconds,...`), for the api: publishing refuses a
   * node whose timeout its pool's worker cannot hold.
   */
  public readonly poolTimeouts: string;
  private readonly props: SkeinEngineProps;

  constructor(scope: Construct, id: string, props: SkeinEngineProps) {
    super(scope, id);
    this.props = props;
    const retention = props.logRetention !== undefined && { logRetention: props.logRetention };
    const built = resolvePools(props.pools ?? DEFAULT_POOLS).map(
      (pool) =>
        new WorkerPool(this, `${pascalCase(pool.name)}Pool`, { pool, stage: props.stage, ...retention }),
    );
    this.pools = built;
    this.defaultPool = built.find((pool) => pool.name === DEFAULT_POOL) as WorkerPool;
    this.timer = new SkeinTimer(this, 'Timer', {
      stage: props.stage,
      queues: built.map((pool) => pool.queue),
    });
    const queueNames = Object.fromEntries(built.map((pool) => [pool.name, pool.queue.queueName]));
    const shared: Record<string, string> = {
      [ENV.definitionsTable]: props.definitionsTable.tableName,
      [ENV.runsTable]: props.runsTable.tableName,
      [ENV.poolQueues]: Stack.of(this).toJsonString(queueNames),
      [ENV.queueUrlPrefix]: `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/`,
      [ENV.payloadBucket]: props.payloadBucket.bucketName,
    };
    if (props.payloadThresholdBytes !== undefined) {
      // Checked with the functions' own parser, so a value the functions would refuse fails the synth.
      const threshold = String(props.payloadThresholdBytes);
      payloadThresholdFrom({ [ENV.payloadThresholdBytes]: threshold });
      shared[ENV.payloadThresholdBytes] = threshold;
    }
    const quota = props.tenantMaxActiveRuns;
    if (quota !== undefined) {
      if (!Number.isInteger(quota) || quota < 1) {
        throw new Error(`tenantMaxActiveRuns must be a whole number of at least 1, got ${quota}`);
      }
      shared[ENV.tenantMaxActiveRuns] = String(quota);
    }
    this.environment = shared;
    const trigger = skeinFunction(this, 'Trigger', {
      handler: 'trigger',
      stage: props.stage,
      description:
        'Skein trigger: starts runs from the trigger queue (start-run events, cron firings, bus events)',
      memoryMb: 512,
      timeout: Duration.seconds(TRIGGER_TIMEOUT_SECONDS),
      environment: shared,
      ...retention,
    });
    this.trigger = trigger;
    this.triggers = new SkeinTriggers(this, 'Triggers', {
      stage: props.stage,
      trigger,
      triggerTimeoutSeconds: TRIGGER_TIMEOUT_SECONDS,
    });
    this.startRunRule = new Rule(this, 'StartRunRule', {
      description: `Queues a Skein run start for each "${START_RUN_EVENT.detailType}" event from "${START_RUN_EVENT.source}"`,
      eventPattern: { source: [START_RUN_EVENT.source], detailType: [START_RUN_EVENT.detailType] },
      // The message is the event; EventBridge retries a failed send for a day.
      targets: [new SqsQueue(this.triggers.queue, { retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
    const httpAllow = parseHttpAllow(props.httpAllow ?? []).map(formatHttpAllowEntry);
    const workerOnly = {
      [ENV.queueArnPrefix]: `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:`,
      [ENV.timerGroup]: this.timer.group.scheduleGroupName,
      [ENV.timerRoleArn]: this.timer.role.roleArn,
      [ENV.timerDeadLetterArn]: this.timer.deadLetterQueue.queueArn,
      [ENV.eventBusName]: this.triggers.bus.eventBusName,
      ...(httpAllow.length > 0 && { [ENV.httpAllow]: httpAllow.join(',') }),
      ...((props.lambdaAllow ?? []).length > 0 && { [ENV.lambdaAllow]: (props.lambdaAllow ?? []).join(',') }),
      ...((props.aiModels ?? []).length > 0 && { [ENV.aiModels]: (props.aiModels ?? []).join(',') }),
    };
    const functions = (props.lambdaAllow ?? []).map((fn) => functionArn(this, fn));
    const models = (props.aiModels ?? []).map((model) => foundationModelArn(this, model));
    for (const pool of built) {
      for (const [name, value] of Object.entries({ ...shared, ...workerOnly })) {
        pool.worker.addEnvironment(name, value);
      }
      if (functions.length > 0) {
        pool.worker.addToRolePolicy(
          new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functions }),
        );
      }
      if (models.length > 0) {
        pool.worker.addToRolePolicy(
          new PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: models }),
        );
      }
      // Its own pool only: a node without a timeout gets at most what this function can run.
      pool.worker.addEnvironment(ENV.poolTimeouts, `${pool.name}=${pool.timeoutSeconds}`);
    }
    this.poolTimeouts = built.map((pool) => `${pool.name}=${pool.timeoutSeconds}`).join(',');

    this.sweeper = skeinFunction(this, 'Sweeper', {
      handler: 'sweeper',
      stage: props.stage,
      description: 'Skein sweeper: times out runs, re-enqueues expired leases and lost messages',
      memoryMb: SWEEPER_MEMORY_MB,
      timeout: Duration.seconds(60),
      environment: shared,
      // Ending a run whose last sink finished evaluates the run's `outputs`.
      sandbox: ['expressions'],
      ...retention,
    });
    new Rule(this, 'SweeperSchedule', {
      description: 'Runs the Skein sweeper every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed sweep is made up by the next one a minute later.
      targets: [new LambdaFunction(this.sweeper, { retryAttempts: 1, maxEventAge: Duration.minutes(1) })],
    });

    this.grantEngineAccess(this.sweeper);
    this.grantEngineAccess(this.trigger);
    // Only workers run nodes: `wait`/retry delays over 15 minutes (timer) and `event` nodes (Skein's bus).
    for (const pool of built) {
      this.grantEngineAccess(pool.worker);
      this.timer.grantSchedule(pool.worker);
      this.triggers.bus.grantPutEventsTo(pool.worker);
    }
  }

  /**
   * What every engine function may do: read and write run state (table and indexes) and its
   * payloads (get and put objects, with their expiry tag; never delete: lifecycle rules do),
   * read definitions and send to every pool queue (children may run on another pool). Workers
   * may also create timer schedules and put events on Skein's bus.
   */
  public grantEngineAccess(fn: IFunction): void {
    this.props.runsTable.grantReadWriteData(fn);
    acknowledgeIndexAccess(fn, this.props.runsTable);
    this.props.payloadBucket.grantRead(fn);
    this.props.payloadBucket.grantPut(fn);
    acknowledgePayloadAccess(fn, this.props.payloadBucket);
    this.props.definitionsTable.grantReadData(fn);
    for (const pool of this.pools) pool.queue.grantSendMessages(fn);
  }

  /**
   * Lets another function (the api, for `POST .../generate`) call the models `ai` nodes may use:
   * `SKEIN_AI_MODELS` and `bedrock:InvokeModel` on exactly those models. Nothing without `aiModels`.
   */
  public grantAiModels(fn: LambdaFn): void {
    const models = this.props.aiModels ?? [];
    if (models.length === 0) return;
    fn.addEnvironment(ENV.aiModels, models.join(','));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: models.map((model) => foundationModelArn(this, model)),
      }),
    );
  }
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

/** The ARN a `lambdaAllow` entry names: an ARN as given, a name in this stack's account and region. */
export function functionArn(scope: Construct, fn: string): string {
  if (FUNCTION_ARN.test(fn)) return fn;
  if (!FUNCTION_NAME.test(fn)) {
    throw new Error(`lambdaAllow entries are function names or ARNs, got ${JSON.stringify(fn)}`);
  }
  return Stack.of(scope).formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: fn,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

const MODEL_ID = /^[a-z0-9-]{1,40}\.[A-Za-z0-9.:_-]{1,200}$/;

/** The foundation-model ARN of an `aiModels` entry, in this stack's region. */
export function foundationModelArn(scope: Construct, model: string): string {
  if (!MODEL_ID.test(model)) {
    throw new Error(
      `aiModels entries are Bedrock model ids such as anthropic.claude-3-haiku-20240307-v1:0, got ${JSON.stringify(model)}`,
    );
  }
  return Stack.of(scope).formatArn({
    service: 'bedrock',
    account: '',
    resource: 'foundation-model',
    resourceName: model,
  });
}
