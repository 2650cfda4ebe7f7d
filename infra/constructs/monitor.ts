import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, type Function as LambdaFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { monitorStreamFilters } from '../../shared/adapters/aws/dynamodb-run-stream.ts';
import { ENV } from '../../shared/config.ts';
import { DEFAULT_NODE_EVENTS, type NodeEventLevel } from '../../shared/monitor/events.ts';
import { acknowledgeIndexAccess, removalPolicyOf, skeinFunction } from './lambda.ts';

/** Stream records per monitor invocation. */
export const MONITOR_BATCH_SIZE = 100;
/** The monitor's memory (the all-in benchmark prices its invocations at this). */
export const MONITOR_MEMORY_MB = 512;
/** Retries of a failing stream batch (halved each time) before it goes to the failure queue. */
export const MONITOR_RETRY_ATTEMPTS = 5;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface SkeinMonitorProps {
  /** Stage of the deployment. */
  readonly stage: string;
  /**
   * The runs table: its NEW_AND_OLD_IMAGES stream feeds the monitor, which also reads run items
   * (tenant and workflow of node events).
   */
  readonly runsTable: ITable;
  /**
   * An address subscribed to the alarm topic (it must confirm the subscription by e-mail).
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * How long the monitor's logs are kept.
   * @default one week for `dev`, three months otherwise
   */
  readonly logRetention?: RetentionDays;
  /**
   * Which node events are published (run events always are): `failures` (`node.failed`,
   * `node.retrying`), `all` (adds started, succeeded, skipped: a monitor invocation per stream
   * batch of node writes and an SNS publish per ten events) or `none`.
   * @default 'failures'
   */
  readonly nodeEvents?: NodeEventLevel;
}

/**
 * Run and node events: the monitor function reads the runs table's stream (from the latest
 * record; only the records that can make a published event, by the mapping's filter criteria
 * (`monitorStreamFilters`), so a successful node invokes nothing unless `nodeEvents` is `all`;
 * batches of {@link MONITOR_BATCH_SIZE}, bisected on error, {@link MONITOR_RETRY_ATTEMPTS}
 * retries, partial batch failures) and publishes events to {@link eventsTopic} with message
 * attributes for subscription filters, writing CloudWatch metrics as EMF. Records that still
 * fail are described in {@link streamFailureQueue} (the record itself stays in the stream for
 * 24 hours).
 *
 * Both topics refuse non-TLS publishing and are encrypted with {@link topicKey}, a customer
 * managed key with rotation: CloudWatch alarms cannot publish to a topic encrypted with the
 * AWS managed `alias/aws/sns` key, so the key policy lets `cloudwatch.amazonaws.com` use it.
 *
 * @example
 * const monitor = new SkeinMonitor(this, 'Monitor', { stage, runsTable, alarmEmail: 'ops@example.com' });
 */
export class SkeinMonitor extends Construct {
  /** `run.*`, `node.*` and `trigger.*` events, with severity and tenant as message attributes. */
  public readonly eventsTopic: Topic;
  /** Where the dashboard's alarms go. */
  public readonly alarmTopic: Topic;
  /** Encrypts both topics. */
  public readonly topicKey: Key;
  /** The stream consumer. */
  public readonly monitor: LambdaFunction;
  /** Descriptions of stream batches the monitor gave up on. */
  public readonly streamFailureQueue: Queue;

  constructor(scope: Construct, id: string, props: SkeinMonitorProps) {
    super(scope, id);
    if (props.alarmEmail !== undefined && !EMAIL.test(props.alarmEmail)) {
      throw new Error(`alarmEmail must be an e-mail address, got ${JSON.stringify(props.alarmEmail)}`);
    }
    if (props.runsTable.tableStreamArn === undefined) {
      throw new Error(
        `SkeinMonitor needs a runs table with a stream, got ${props.runsTable.node.path} without one`,
      );
    }
    this.topicKey = new Key(this, 'TopicKey', {
      description: `Skein ${props.stage}: encrypts the events and alarm topics`,
      enableKeyRotation: true,
      removalPolicy: removalPolicyOf(props.stage),
    });
    this.topicKey.grant(
      new ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.eventsTopic = new Topic(this, 'EventsTopic', {
      displayName: `Skein ${props.stage} run and node events`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Skein ${props.stage} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, which replaces the default one that let this account's
    // CloudWatch alarms publish: allow them again, for this account's alarms only.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    }

    this.streamFailureQueue = new Queue(this, 'StreamFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.streamFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination: the on-failure destination of the ' +
        "monitor's DynamoDB stream event source mapping.",
    });

    const nodeEvents = props.nodeEvents ?? DEFAULT_NODE_EVENTS;
    this.monitor = skeinFunction(this, 'Handler', {
      handler: 'monitor',
      stage: props.stage,
      description: 'Skein monitor: turns runs-table stream records into SNS events and CloudWatch metrics',
      memoryMb: MONITOR_MEMORY_MB,
      timeout: Duration.seconds(60),
      environment: {
        [ENV.runsTable]: props.runsTable.tableName,
        [ENV.eventsTopicArn]: this.eventsTopic.topicArn,
        [ENV.nodeEvents]: nodeEvents,
      },
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
    });
    this.monitor.addEventSource(
      new DynamoEventSource(props.runsTable, {
        startingPosition: StartingPosition.LATEST,
        batchSize: MONITOR_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: MONITOR_RETRY_ATTEMPTS,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.streamFailureQueue),
        filters: monitorStreamFilters(nodeEvents).map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );
    // Reads run items (node events' context); writes each run's event history (`V#` items).
    props.runsTable.grantReadWriteData(this.monitor);
    acknowledgeIndexAccess(this.monitor, props.runsTable);
    this.grantPublishEvents(this.monitor);
  }

  /**
   * Lets a function publish to the events topic (the monitor; the api and the trigger function
   * for `trigger.fired` / `trigger.failed`) and tells it the topic (`SKEIN_EVENTS_TOPIC_ARN`).
   */
  grantPublishEvents(fn: LambdaFunction): void {
    this.eventsTopic.grantPublish(fn);
    fn.addEnvironment(ENV.eventsTopicArn, this.eventsTopic.topicArn);
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (as the SNS documentation ' +
        'lists it) on the topic key; the grant is limited to that one key.',
    });
  }
}
