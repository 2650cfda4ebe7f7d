/**
 * Subscriptions for the api function: the control table's store, the SNS binder on the events
 * topic, and the run histories the monitor writes. No webhook sender in its bundle (the
 * deliverer's is `aws-deliverer.ts`).
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbEventLog } from '../../shared/adapters/aws/dynamodb-event-log.ts';
import { DynamoDbRunCounters } from '../../shared/adapters/aws/dynamodb-run-counters.ts';
import { DynamoDbSubscriptionStore } from '../../shared/adapters/aws/dynamodb-subscription-store.ts';
import { SnsSubscriptionBinder } from '../../shared/adapters/aws/sns-subscription-binder.ts';
import { config, dynamo, once, tracer } from './aws-common.ts';

const sns = once(() => tracer.captureAWSv3Client(new SNSClient({})));

/** `SKEIN_CONTROL_TABLE`, `SKEIN_EVENTS_TOPIC_ARN`, `SKEIN_WEBHOOK_QUEUE_ARN`. */
export const subscriptions = once(() => ({
  subscriptions: new DynamoDbSubscriptionStore({ client: dynamo(), tableName: config.controlTable }),
  binder: new SnsSubscriptionBinder({
    client: sns(),
    topicArn: config.eventsTopicArn,
    webhookQueueArn: config.webhookQueueArn,
  }),
}));

/** Run histories (the monitor writes them). The SSE stream is local only. */
export const eventLog = once(() => new DynamoDbEventLog({ client: dynamo(), tableName: config.runsTable }));

/** Per-workflow run counts (the monitor keeps them) for `GET .../workflows/{wf}`. */
export const runCounters = once(
  () => new DynamoDbRunCounters({ client: dynamo(), tableName: config.runsTable }),
);
