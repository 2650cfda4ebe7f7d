import type { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createQueue,
  createTopic,
  type Fauxqs,
  snsClient,
  sqsClient,
  startFauxqs,
} from '../../functions/local/fauxqs.ts';
import { SnsNotifier } from '../../shared/adapters/aws/sns-notifier.ts';
import { SnsSubscriptionBinder } from '../../shared/adapters/aws/sns-subscription-binder.ts';
import type { Subscription, SubscriptionFilter } from '../../shared/domain/subscriptions.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';

let fauxqs: Fauxqs;
let sns: SNSClient;
let sqs: SQSClient;
let topicArn: string;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  sns = snsClient(fauxqs.endpoint);
  sqs = sqsClient(fauxqs.endpoint);
  topicArn = await createTopic(sns, 'skein-events');
});
afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  await fauxqs?.stop();
});

async function subscriber(tenant: string, name: string, filter: SubscriptionFilter) {
  const url = await createQueue(sqs, name);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes?.QueueArn ?? '';
  const binder = new SnsSubscriptionBinder({ client: sns, topicArn, webhookQueueArn: 'unused' });
  const subscription: Subscription = {
    tenant,
    id: name,
    endpoint: { kind: 'sqs', queueArn },
    filter,
    createdAt: 't',
    updatedAt: 't',
  };
  const arn = await binder.bind(subscription);
  return { url, arn, binder, subscription };
}

async function drain(url: string): Promise<SkeinEvent[]> {
  const events: SkeinEvent[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!Messages || Messages.length === 0) return events;
    for (const message of Messages) events.push(JSON.parse(message.Body ?? '{}'));
  }
}

const event = (tenant: string, type: SkeinEvent['type'], severity: SkeinEvent['severity']): SkeinEvent => ({
  type,
  severity,
  tenant,
  workflow: 'orders',
  version: '1.0.0',
  runId: `run-${tenant}-${type}`,
  time: '2026-01-01T00:00:00.000Z',
});

describe('subscriptions on fauxqs SNS', () => {
  it('never delivers another tenant’s event to a subscriber, even with an empty filter', async () => {
    // Prepare
    const a = await subscriber('tenant-a', 'sub-a', {});
    const b = await subscriber('tenant-b', 'sub-b', {});
    const notifier = new SnsNotifier({ client: sns, topicArn });

    // Act
    await notifier.publish([
      event('tenant-a', 'run.started', 'info'),
      event('tenant-b', 'run.started', 'info'),
      event('tenant-b', 'run.failed', 'error'),
    ]);

    // Assess
    const toA = await drain(a.url);
    const toB = await drain(b.url);
    expect(toA.map((e) => `${e.tenant} ${e.type}`)).toEqual(['tenant-a run.started']);
    expect(toB.map((e) => `${e.tenant} ${e.type}`).sort()).toEqual([
      'tenant-b run.failed',
      'tenant-b run.started',
    ]);
  });

  it('delivers only the events the filter names, and follows a new filter', async () => {
    // Prepare
    const a = await subscriber('tenant-c', 'sub-c', { severities: ['error'] });
    const notifier = new SnsNotifier({ client: sns, topicArn });
    await notifier.publish([
      event('tenant-c', 'run.started', 'info'),
      event('tenant-c', 'run.failed', 'error'),
    ]);
    const before = await drain(a.url);

    // Act
    await a.binder.refilter(a.arn, { ...a.subscription, filter: { types: ['run.started'] } });
    await notifier.publish([
      event('tenant-c', 'run.started', 'info'),
      event('tenant-d', 'run.started', 'info'),
    ]);

    // Assess
    expect(before.map((e) => e.type)).toEqual(['run.failed']);
    expect((await drain(a.url)).map((e) => `${e.tenant} ${e.type}`)).toEqual(['tenant-c run.started']);
  });

  it('stops delivering once unbound', async () => {
    // Prepare
    const a = await subscriber('tenant-e', 'sub-e', {});
    const notifier = new SnsNotifier({ client: sns, topicArn });

    // Act
    await a.binder.unbind(a.arn);
    await notifier.publish([event('tenant-e', 'run.started', 'info')]);

    // Assess
    expect(await drain(a.url)).toEqual([]);
  });
});
