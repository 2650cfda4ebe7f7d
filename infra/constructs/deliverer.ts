import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import { deadLetterQueue } from './dead-letters.ts';
import { skeinFunction } from './lambda.ts';

/** Messages per deliverer invocation (each one webhook POST, sent in parallel). */
export const DELIVERER_BATCH_SIZE = 10;
/** Receives before the dead-letter queue: the deliverer parks an event itself after 24 h (≈ 14 attempts). */
export const DELIVERER_MAX_RECEIVES = 50;
const TIMEOUT = Duration.seconds(60);

export interface SkeinDelivererProps {
  readonly stage: string;
  /** The events topic: https subscriptions subscribe {@link queue} to it, each with its filter policy. */
  readonly eventsTopic: ITopic;
  /** Subscriptions (secrets, endpoints) and the log of delivery attempts. */
  readonly controlTable: ITable;
  /**
   * `host:port` destinations the deliverer may call although private: the `http` nodes' list.
   * @default none
   */
  readonly httpAllow?: readonly string[];
  /** @default one week for `dev`, three months otherwise */
  readonly logRetention?: RetentionDays;
}

/**
 * The webhook deliverer of https subscriptions: SNS (a subscription per https subscription, its
 * filter policy pinned to the tenant) → {@link queue} (SNS envelope, not raw: the envelope names
 * the SNS subscription) → {@link handler}, which signs and POSTs each event (Standard Webhooks)
 * through the SSRF guard, records each attempt, retries with exponential backoff (the message's
 * visibility) and parks after 24 h. Messages the function keeps failing on go to
 * {@link deadLetterQueue} (the dashboard alarms on it).
 * @example const deliverer = new SkeinDeliverer(this, 'Deliverer', { stage, eventsTopic, controlTable });
 */
export class SkeinDeliverer extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly handler: LambdaFunction;

  constructor(scope: Construct, id: string, props: SkeinDelivererProps) {
    super(scope, id);
    parseHttpAllow(props.httpAllow ?? []); // throws naming a malformed entry
    this.deadLetterQueue = deadLetterQueue(
      this,
      "This queue is itself the webhook queue's dead-letter queue.",
    );
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // 24 h of retries and a margin; the deliverer parks older events itself.
      retentionPeriod: Duration.days(2),
      visibilityTimeout: Duration.seconds(TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVERER_MAX_RECEIVES },
    });
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowEventsTopic',
        principals: [new ServicePrincipal('sns.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': props.eventsTopic.topicArn } },
      }),
    );
    this.handler = skeinFunction(this, 'Handler', {
      handler: 'deliverer',
      stage: props.stage,
      description: 'Skein webhook deliverer: signs and POSTs events to https subscriptions',
      memoryMb: 256,
      timeout: TIMEOUT,
      environment: {
        [ENV.controlTable]: props.controlTable.tableName,
        [ENV.queueUrl]: this.queue.queueUrl,
        ...(props.httpAllow !== undefined &&
          props.httpAllow.length > 0 && { [ENV.httpAllow]: props.httpAllow.join(',') }),
      },
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
    });
    this.handler.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: DELIVERER_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: 10,
      }),
    );
    props.controlTable.grantReadWriteData(this.handler);
  }

  /**
   * Lets `grantee` (the api function) bind subscriptions: Subscribe, Unsubscribe and
   * SetSubscriptionAttributes on the events topic only, and tells it the queue's ARN.
   */
  grantBinding(
    grantee: IGrantable & { addEnvironment(key: string, value: string): unknown },
    topic: ITopic,
  ): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:SetSubscriptionAttributes'],
        resources: [topic.topicArn],
      }),
    );
    grantee.addEnvironment(ENV.eventsTopicArn, topic.topicArn);
    grantee.addEnvironment(ENV.webhookQueueArn, this.queue.queueArn);
  }
}
