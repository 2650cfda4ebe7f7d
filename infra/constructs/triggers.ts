import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { EventBus, EventField, Match, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, Grant, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnScheduleGroup, type IScheduleGroup, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, MAX_RECEIVE_COUNT } from '../../shared/config.ts';
import { deadLetterQueue } from './dead-letters.ts';

/** Messages per trigger invocation (SQS's maximum for a standard queue). */
export const TRIGGER_BATCH_SIZE = 10;

export interface SkeinTriggersProps {
  /** Stage of the deployment: the bus is `skein-<stage>`. */
  readonly stage: string;
  /** The trigger function: it drains {@link SkeinTriggers.queue} (its timeout sets the visibility timeout). */
  readonly trigger: LambdaFunction;
  /** The trigger function's timeout in seconds. */
  readonly triggerTimeoutSeconds: number;
}

/**
 * What starts runs from outside the API: the trigger queue and what feeds it.
 * - {@link queue} (SSL only, SQS-managed encryption) with {@link deadLetterQueue} after
 *   {@link MAX_RECEIVE_COUNT} receives: the trigger function reads it in batches and reports
 *   partial failures, so a message survives an outage instead of being lost after EventBridge's
 *   two async-invocation retries; the dashboard alarms on the dead-letter queue's depth.
 * - {@link group} and {@link schedulerRole}: cron triggers' recurring EventBridge Scheduler
 *   schedules live in the group; Scheduler assumes the role, which may only send to the queue.
 * - {@link bus} `skein-<stage>`: Skein's own event bus, on which `event` nodes put events (source
 *   `skein.tenant.<tenant>`) and from which {@link busRule} forwards every event to the queue as
 *   `{kind: 'event', event}`, for event triggers' patterns, matched in code (see ARCHITECTURE.md).
 *   Its resource policy lets this account put events; add a statement for others (README).
 *
 * @example
 * const triggers = new SkeinTriggers(this, 'Triggers', { stage, trigger, triggerTimeoutSeconds: 30 });
 * triggers.grantSchedules(api);
 */
export class SkeinTriggers extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  /** Cron triggers' schedules; deleted with the stack, schedules and all. */
  public readonly group: IScheduleGroup;
  /** The role Scheduler assumes to send cron firings to {@link queue}, and nothing else. */
  public readonly schedulerRole: Role;
  public readonly bus: EventBus;
  /** Every event on {@link bus} → {@link queue}. */
  public readonly busRule: Rule;
  /** What the function managing triggers (the api) needs to create their schedules. */
  public readonly scheduleEnvironment: Readonly<Record<string, string>>;
  private readonly groupResource: CfnScheduleGroup;

  constructor(scope: Construct, id: string, props: SkeinTriggersProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(
      this,
      'This queue is itself a dead-letter destination: trigger messages (start-run events, cron ' +
        'firings, bus events) that failed every receive.',
    );
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * props.triggerTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    props.trigger.addEventSource(
      new SqsEventSource(this.queue, { batchSize: TRIGGER_BATCH_SIZE, reportBatchItemFailures: true }),
    );
    // Sub-minute cron: the trigger function fans a minute's firing out onto its own queue.
    this.queue.grantSendMessages(props.trigger);
    props.trigger.addEnvironment(ENV.triggerQueueUrl, this.queue.queueUrl);

    const group = new CfnScheduleGroup(this, 'Group', {
      tags: [{ key: 'skein:stage', value: props.stage }],
    });
    group.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.groupResource = group;
    this.group = ScheduleGroup.fromScheduleGroupName(this, 'ScheduleGroup', group.ref);
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: `Skein cron triggers (${props.stage}): EventBridge Scheduler sends firings to the trigger queue`,
      // Only this account's schedules may use the role (the confused-deputy guard AWS documents).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    // SQS-managed encryption: no KMS key to grant.
    this.queue.grantSendMessages(this.schedulerRole);

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: `skein-${props.stage}`,
      description: `Skein (${props.stage}): events of event nodes and producers that start event triggers`,
    });
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'PutEventsFromThisAccount',
        principals: [new AccountPrincipal(Aws.ACCOUNT_ID)],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );
    this.busRule = new Rule(this, 'BusRule', {
      eventBus: this.bus,
      description:
        'Forwards every event on the Skein bus to the trigger queue (event triggers match in code)',
      // EventBridge wants a pattern: every event has a source, and every string starts with "".
      eventPattern: { source: Match.prefix('') },
      targets: [
        new SqsQueue(this.queue, {
          message: RuleTargetInput.fromObject({ kind: 'event', event: EventField.fromPath('$') }),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
    this.scheduleEnvironment = {
      [ENV.triggerScheduleGroup]: this.group.scheduleGroupName,
      [ENV.triggerSchedulerRoleArn]: this.schedulerRole.roleArn,
      [ENV.triggerQueueArn]: this.queue.queueArn,
    };
  }

  /**
   * Lets `fn` keep cron triggers' schedules: create, update and delete schedules of {@link group}
   * only, and hand them {@link schedulerRole} (iam:PassRole on that role only); gives it
   * {@link scheduleEnvironment}.
   */
  public grantSchedules(fn: LambdaFunction): void {
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'scheduler',
          resource: 'schedule',
          resourceName: `${this.group.scheduleGroupName}/*`,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
    });
    this.schedulerRole.grantPassRole(fn.grantPrincipal);
    for (const [name, value] of Object.entries(this.scheduleEnvironment)) fn.addEnvironment(name, value);
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${Stack.of(this).resolve(this.groupResource.logicalId)}>/*]`,
      reason:
        'Cron triggers get one schedule each, named from tenant and trigger at run time; the wildcard ' +
        "is limited to the schedules of this stack's own trigger schedule group.",
    });
  }
}
