import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { RUNS_TABLE } from '../shared/adapters/aws/tables.ts';
import { ENV } from '../shared/config.ts';
import { DEFAULT_NODE_EVENTS, type NodeEventLevel } from '../shared/monitor/events.ts';
import { SkeinApi } from './constructs/api.ts';
import { SkeinDashboard } from './constructs/dashboard.ts';
import { SkeinDeliverer } from './constructs/deliverer.ts';
import { SkeinEngine } from './constructs/engine.ts';
import { SkeinMonitor } from './constructs/monitor.ts';
import { pascalCase, type WorkerPoolSpec } from './constructs/pools.ts';
import { SkeinStateMachines } from './constructs/state-machines.ts';
import { SkeinStore } from './constructs/store.ts';

/** Stage names end up in stack names and resource names: short, lowercase, DNS-safe. */
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** The stage used when the CDK context sets none. */
export const DEFAULT_STAGE = 'dev';

/**
 * Turns the raw `stage` context value into a stage name, or throws an error that shows the bad
 * value. `infra/app.ts` reads the context; this only validates, so tests can call it directly.
 * @example stageFrom(app.node.tryGetContext('stage')) // 'dev' when unset
 */
export function stageFrom(raw: unknown): string {
  if (raw === undefined || raw === null) return DEFAULT_STAGE;
  if (typeof raw !== 'string' || !STAGE_PATTERN.test(raw)) {
    throw new Error(
      `context "stage" must match ${STAGE_PATTERN} (a lowercase letter, then up to 19 lowercase ` +
        `letters, digits or dashes), got ${JSON.stringify(raw)}; pass e.g. \`-c stage=prod\``,
    );
  }
  return raw;
}

export interface SkeinStackProps extends StackProps {
  /** Stage name, validated by {@link stageFrom}; `dev` resources are disposable. */
  readonly stage: string;
  /**
   * Worker pools (`-c pools='[...]'`); must include `default`.
   * @default [{ name: 'default' }]
   */
  readonly pools?: readonly WorkerPoolSpec[];
  /**
   * An e-mail address subscribed to the alarm topic (`-c alarmEmail=ops@example.com`).
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Browser origins allowed by CORS.
   * @default none: CORS off
   */
  readonly corsOrigins?: readonly string[];
  /**
   * `host:port` destinations `http` nodes may call although they are private (`-c httpAllow=...`),
   * e.g. an internal service in the workers' network.
   * @default none: only public addresses
   */
  readonly httpAllow?: readonly string[];
  /**
   * Functions `lambda` nodes may invoke (`-c lambdaAllow=price,arn:aws:lambda:...:function:tax`).
   * @default none
   */
  readonly lambdaAllow?: readonly string[];
  /**
   * State machines `stepfunctions` nodes may start (`-c stateMachineAllow=arn:aws:states:...:stateMachine:orders`):
   * the workers may start exactly these, and a rule sends their executions' ends to Skein.
   * @default none: no grant, no rule, no handler; stepfunctions nodes fail with STEPFUNCTIONS_NOT_ALLOWED
   */
  readonly stateMachineAllow?: readonly string[];
  /**
   * Bedrock model ids `ai` nodes may use (`-c aiModels=anthropic.claude-3-haiku-20240307-v1:0`).
   * @default none: ai nodes are off
   */
  readonly aiModels?: readonly string[];
  /**
   * The tenant quota (`-c tenantMaxActiveRuns=N`): active runs per tenant at most.
   * @default none
   */
  readonly tenantMaxActiveRuns?: number;
  /**
   * Which node events the monitor publishes (`-c nodeEvents=all`): `failures`, `all` or `none`;
   * run events always. `all` costs a monitor invocation per stream batch of node writes.
   * @default 'failures'
   */
  readonly nodeEvents?: NodeEventLevel;
  /**
   * Values whose JSON text is longer go to the payload bucket (`-c payloadThresholdBytes=16384`).
   * @default 65536
   */
  readonly payloadThresholdBytes?: number;
}

/**
 * One Skein deployment: one stack per stage (`Skein-dev`, `Skein-prod`, ...): the store
 * (DynamoDB tables), the engine (pool queues and workers, timer, sweeper, trigger), the HTTP API,
 * the monitor (stream → SNS events, metrics) and the dashboard with its alarms. Constructs meet
 * through `grant*` methods and the `ENV` variable names of `shared/config.ts`, never through
 * hand-written IAM.
 */
export class SkeinStack extends Stack {
  public readonly store: SkeinStore;
  public readonly engine: SkeinEngine;
  public readonly api: SkeinApi;
  public readonly monitor: SkeinMonitor;
  /** Webhooks of https subscriptions. */
  public readonly deliverer: SkeinDeliverer;
  public readonly dashboard: SkeinDashboard;
  /** The `stepfunctions` node type's grants, rule and handler: only with `stateMachineAllow`. */
  public readonly stateMachines?: SkeinStateMachines;

  constructor(scope: Construct, id: string, props: SkeinStackProps) {
    const stage = stageFrom(props.stage);
    super(scope, id, { description: `Skein workflow orchestrator (stage ${stage})`, ...props });
    this.store = new SkeinStore(this, 'Store', { stage });
    this.engine = new SkeinEngine(this, 'Engine', {
      stage,
      definitionsTable: this.store.definitionsTable,
      runsTable: this.store.runsTable,
      payloadBucket: this.store.payloadBucket,
      ...(props.payloadThresholdBytes !== undefined && {
        payloadThresholdBytes: props.payloadThresholdBytes,
      }),
      ...(props.pools !== undefined && { pools: props.pools }),
      ...(props.httpAllow !== undefined && { httpAllow: props.httpAllow }),
      ...(props.lambdaAllow !== undefined && { lambdaAllow: props.lambdaAllow }),
      ...(props.aiModels !== undefined && { aiModels: props.aiModels }),
      ...(props.tenantMaxActiveRuns !== undefined && { tenantMaxActiveRuns: props.tenantMaxActiveRuns }),
    });
    this.api = new SkeinApi(this, 'Api', {
      stage,
      environment: { ...this.engine.environment, [ENV.poolTimeouts]: this.engine.poolTimeouts },
      controlTable: this.store.controlTable,
      ...(props.corsOrigins !== undefined && { corsOrigins: props.corsOrigins }),
    });
    this.engine.grantEngineAccess(this.api.handler);
    // POST .../generate: the models of ai nodes, when -c aiModels names some.
    this.engine.grantAiModels(this.api.handler);
    // The api keeps triggers: cron triggers' schedules.
    this.engine.triggers.grantSchedules(this.api.handler);
    // The trigger function fires them: it reads each trigger and records its firings.
    this.engine.trigger.addEnvironment(ENV.controlTable, this.store.controlTable.tableName);
    this.store.controlTable.grantReadWriteData(this.engine.trigger);
    this.store.definitionsTable.grantReadWriteData(this.api.handler);
    const allow = props.stateMachineAllow ?? [];
    if (allow.length > 0) {
      this.stateMachines = new SkeinStateMachines(this, 'StateMachines', {
        stage,
        allow,
        workers: this.engine.pools.map((pool) => pool.worker),
        stoppers: [this.api.handler, this.engine.sweeper, this.engine.trigger],
        environment: this.engine.environment,
        grantEngineAccess: (fn) => this.engine.grantEngineAccess(fn),
      });
    }
    this.monitor = new SkeinMonitor(this, 'Monitor', {
      stage,
      runsTable: this.store.runsTable,
      ...(props.alarmEmail !== undefined && { alarmEmail: props.alarmEmail }),
      ...(props.nodeEvents !== undefined && { nodeEvents: props.nodeEvents }),
    });
    this.deliverer = new SkeinDeliverer(this, 'Deliverer', {
      stage,
      eventsTopic: this.monitor.eventsTopic,
      controlTable: this.store.controlTable,
      ...(props.httpAllow !== undefined && { httpAllow: props.httpAllow }),
    });
    this.deliverer.grantBinding(this.api.handler, this.monitor.eventsTopic);
    // `trigger.fired` / `trigger.failed` are published by whoever fires: the api (fire, backfill,
    // webhooks) and the trigger function (schedules, start-run and bus events).
    this.monitor.grantPublishEvents(this.api.handler);
    this.monitor.grantPublishEvents(this.engine.trigger);
    const functions: Record<string, IFunction> = {
      Api: this.api.handler,
      Authorizer: this.api.authorizer,
      Sweeper: this.engine.sweeper,
      Trigger: this.engine.trigger,
      Monitor: this.monitor.monitor,
      Deliverer: this.deliverer.handler,
      ...(this.stateMachines && { StateMachineEvents: this.stateMachines.handler }),
    };
    for (const pool of this.engine.pools) functions[`${pascalCase(pool.name)}Worker`] = pool.worker;
    this.dashboard = new SkeinDashboard(this, 'Dashboard', {
      stage,
      pools: this.engine.pools,
      deadLetterQueues: {
        MonitorStream: this.monitor.streamFailureQueue,
        Webhooks: this.deliverer.deadLetterQueue,
        Timer: this.engine.timer.deadLetterQueue,
        Triggers: this.engine.triggers.deadLetterQueue,
        ...(this.stateMachines && { StateMachineEvents: this.stateMachines.deadLetterQueue }),
      },
      functions,
      alarmTopic: this.monitor.alarmTopic,
      tables: {
        Runs: {
          table: this.store.runsTable,
          indexNames: (RUNS_TABLE.globalIndexes ?? []).map((index) => index.indexName),
        },
        Definitions: { table: this.store.definitionsTable },
        Control: { table: this.store.controlTable },
      },
      httpApi: this.api.httpApi,
      streamConsumer: this.monitor.monitor,
      timerGroup: this.engine.timer.group,
      triggerGroup: this.engine.triggers.group,
      nodeEvents: props.nodeEvents ?? DEFAULT_NODE_EVENTS,
    });
    this.outputs();
  }

  private outputs(): void {
    const output = (id: string, description: string, value: string) =>
      new CfnOutput(this, id, { description, value });
    output('ApiUrl', 'Base URL of the HTTP API', this.api.url);
    output(
      'EventsTopicArn',
      'SNS topic of run and node events (subscribe with filter policies)',
      this.monitor.eventsTopic.topicArn,
    );
    output('AlarmTopicArn', 'SNS topic of the alarms', this.monitor.alarmTopic.topicArn);
    output('DashboardUrl', 'CloudWatch dashboard', this.dashboard.url);
    output(
      'DefinitionsTableName',
      'DynamoDB table of workflow definitions',
      this.store.definitionsTable.tableName,
    );
    output(
      'ControlTableName',
      'DynamoDB table of control data (API keys)',
      this.store.controlTable.tableName,
    );
    output('RunsTableName', 'DynamoDB table of run state', this.store.runsTable.tableName);
    output(
      'PayloadBucketName',
      'S3 bucket of large payloads (node outputs, run inputs and outputs over the threshold)',
      this.store.payloadBucket.bucketName,
    );
    output(
      'TimerScheduleGroupName',
      'EventBridge Scheduler group of the timer (one-time schedules for delays over 15 minutes)',
      this.engine.timer.group.scheduleGroupName,
    );
    output(
      'TimerDeadLetterQueueUrl',
      'Timer messages EventBridge Scheduler could not deliver',
      this.engine.timer.deadLetterQueue.queueUrl,
    );
    const { triggers } = this.engine;
    output(
      'TriggerQueueUrl',
      'Trigger queue (start-run events, cron firings, bus events)',
      triggers.queue.queueUrl,
    );
    output(
      'TriggerDeadLetterQueueUrl',
      'Trigger messages that failed every receive',
      triggers.deadLetterQueue.queueUrl,
    );
    output(
      'TriggerScheduleGroupName',
      "EventBridge Scheduler group of cron triggers' schedules",
      triggers.group.scheduleGroupName,
    );
    output(
      'EventBusName',
      "Skein's event bus: event nodes put events here, event triggers match them",
      triggers.bus.eventBusName,
    );
    output(
      'EventBusArn',
      "Skein's event bus ARN (PutEvents from other accounts: see README)",
      triggers.bus.eventBusArn,
    );
    for (const pool of this.engine.pools) {
      const name = pascalCase(pool.name);
      output(`${name}PoolQueueUrl`, `Ready-node queue of pool "${pool.name}"`, pool.queue.queueUrl);
      output(
        `${name}PoolDeadLetterQueueUrl`,
        `Dead-letter queue of pool "${pool.name}"`,
        pool.deadLetterQueue.queueUrl,
      );
    }
  }
}
