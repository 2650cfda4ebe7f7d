/**
 * The webhook deliverer's composition: the subscription store, its own queue (visibility changes)
 * and the SSRF guard with the `http` nodes' allow-list. No engine, SNS or run store in its bundle.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbSubscriptionStore } from '../../shared/adapters/aws/dynamodb-subscription-store.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { webhookSender } from '../../shared/adapters/webhook-sender.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import type { DelivererDeps } from '../../shared/handlers/deliverer.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { config, dynamo, logError, once, tracer } from './aws-common.ts';

const sqs = once(() => tracer.captureAWSv3Client(new SQSClient({})));

/** `SKEIN_CONTROL_TABLE`, `SKEIN_QUEUE_URL` (its queue), `SKEIN_HTTP_ALLOW`. */
export const delivererDeps = once(
  (): DelivererDeps => ({
    subscriptions: new DynamoDbSubscriptionStore({ client: dynamo(), tableName: config.controlTable }),
    send: webhookSender({ guard: { allow: parseHttpAllow(config.httpAllow) } }),
    queue: new SqsQueue({ client: sqs(), queueUrl: config.queueUrl }),
    clock: systemClock,
    log: logError,
  }),
);
