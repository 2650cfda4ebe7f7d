/**
 * Subscriptions on AWS: the control table's store, the SNS binder on the events topic (the api
 * function), and the webhook deliverer's dependencies (its own queue, the SSRF guard with the
 * `http` nodes' allow-list). No engine in the deliverer's bundle.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbEventLog } from '../../shared/adapters/aws/dynamodb-event-log.ts';
import { DynamoDbSubscriptionStore } from '../../shared/adapters/aws/dynamodb-subscription-store.ts';
import { SnsSubscriptionBinder } from '../../shared/adapters/aws/sns-subscription-binder.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { webhookSender } from '../../shared/adapters/webhook-sender.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import type { DelivererDeps } from '../../shared/handlers/deliverer.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { config, dynamo, logError, once, tracer } from './aws-common.ts';

const sns = once(() => tracer.captureAWSv3Client(new SNSClient({})));
const sqs = once(() => tracer.captureAWSv3Client(new SQSClient({})));

const store = once(() => new DynamoDbSubscriptionStore({ client: dynamo(), tableName: config.controlTable }));

/** The api function's subscriptions: `SKEIN_EVENTS_TOPIC_ARN`, `SKEIN_WEBHOOK_QUEUE_ARN`. */
export const subscriptions = once(() => ({
  subscriptions: store(),
  binder: new SnsSubscriptionBinder({
    client: sns(),
    topicArn: config.eventsTopicArn,
    webhookQueueArn: config.webhookQueueArn,
  }),
}));

/** The deliverer: `SKEIN_CONTROL_TABLE`, `SKEIN_QUEUE_URL` (its queue), `SKEIN_HTTP_ALLOW`. */
export const delivererDeps = once(
  (): DelivererDeps => ({
    subscriptions: store(),
    send: webhookSender({ guard: { allow: parseHttpAllow(config.httpAllow) } }),
    queue: new SqsQueue({ client: sqs(), queueUrl: config.queueUrl }),
    clock: systemClock,
    log: logError,
  }),
);

/** Run histories for the api function (the monitor writes them). The SSE stream is local only. */
export const eventLog = once(() => new DynamoDbEventLog({ client: dynamo(), tableName: config.runsTable }));
