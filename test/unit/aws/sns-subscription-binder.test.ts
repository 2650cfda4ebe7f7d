import {
  NotFoundException,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SnsSubscriptionBinder,
  subscriptionArnOf,
} from '../../../shared/adapters/aws/sns-subscription-binder.ts';
import type { Subscription } from '../../../shared/domain/subscriptions.ts';

const sns = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:eu-west-1:123456789012:skein-events';
const webhookQueueArn = 'arn:aws:sqs:eu-west-1:123456789012:skein-webhooks';
const binder = new SnsSubscriptionBinder({
  client: new SNSClient({ region: 'eu-west-1' }),
  topicArn,
  webhookQueueArn,
});

const base = { tenant: 'acme', id: 'alerts', createdAt: 't', updatedAt: 't' } as const;

beforeEach(() => {
  sns.reset();
  sns.on(SubscribeCommand).resolves({ SubscriptionArn: `${topicArn}:sub-1` });
});

describe('SnsSubscriptionBinder', () => {
  it('subscribes an e-mail address with a filter policy pinned to the tenant', async () => {
    // Prepare
    const subscription: Subscription = {
      ...base,
      endpoint: { kind: 'email', address: 'ops@acme.example' },
      filter: { workflows: ['orders'], severities: ['error', 'critical'] },
    };

    // Act
    const arn = await binder.bind(subscription);

    // Assess
    expect(arn).toBe(`${topicArn}:sub-1`);
    const [call] = sns.commandCalls(SubscribeCommand);
    expect(call?.args[0].input).toEqual({
      TopicArn: topicArn,
      Protocol: 'email',
      Endpoint: 'ops@acme.example',
      ReturnSubscriptionArn: true,
      Attributes: {
        FilterPolicy: JSON.stringify({
          tenant: ['acme'],
          workflow: ['orders'],
          severity: ['error', 'critical'],
        }),
        FilterPolicyScope: 'MessageAttributes',
      },
    });
  });

  it('pins the tenant even when the filter is empty', async () => {
    // Prepare
    const subscription: Subscription = {
      ...base,
      endpoint: { kind: 'sqs', queueArn: 'arn:aws:sqs:eu-west-1:1:q' },
      filter: {},
    };

    // Act
    await binder.bind(subscription);

    // Assess
    const input = sns.commandCalls(SubscribeCommand)[0]?.args[0].input;
    expect(input?.Protocol).toBe('sqs');
    expect(input?.Endpoint).toBe('arn:aws:sqs:eu-west-1:1:q');
    expect(JSON.parse(input?.Attributes?.FilterPolicy ?? '{}')).toEqual({ tenant: ['acme'] });
    expect(input?.Attributes?.RawMessageDelivery).toBe('true');
  });

  it('subscribes the deliverer queue, with the envelope, for an https endpoint', async () => {
    // Prepare
    const subscription: Subscription = {
      ...base,
      endpoint: { kind: 'https', url: 'https://hooks.acme.example/skein' },
      filter: { types: ['run.failed'] },
    };

    // Act
    await binder.bind(subscription);

    // Assess
    const input = sns.commandCalls(SubscribeCommand)[0]?.args[0].input;
    expect(input?.Endpoint).toBe(webhookQueueArn);
    expect(input?.Attributes?.RawMessageDelivery).toBeUndefined();
    expect(JSON.parse(input?.Attributes?.FilterPolicy ?? '{}')).toEqual({
      tenant: ['acme'],
      type: ['run.failed'],
    });
  });

  it('replaces the filter policy of a binding, tenant still pinned', async () => {
    // Prepare
    sns.on(SetSubscriptionAttributesCommand).resolves({});
    const subscription: Subscription = {
      ...base,
      endpoint: { kind: 'email', address: 'a@b.example' },
      filter: { triggers: ['nightly'] },
    };

    // Act
    await binder.refilter('arn:sub', subscription);

    // Assess
    expect(sns.commandCalls(SetSubscriptionAttributesCommand)[0]?.args[0].input).toEqual({
      SubscriptionArn: 'arn:sub',
      AttributeName: 'FilterPolicy',
      AttributeValue: JSON.stringify({ tenant: ['acme'], trigger: ['nightly'] }),
    });
  });

  it('unsubscribes, and takes a binding already gone as done', async () => {
    // Prepare
    sns.on(UnsubscribeCommand).rejects(new NotFoundException({ message: 'gone', $metadata: {} }));

    // Act
    const unbinding = binder.unbind('arn:sub');

    // Assess
    await expect(unbinding).resolves.toBeUndefined();
    expect(sns.commandCalls(UnsubscribeCommand)[0]?.args[0].input).toEqual({ SubscriptionArn: 'arn:sub' });
  });
});

describe('subscriptionArnOf', () => {
  it('reads the SNS subscription from an envelope’s UnsubscribeURL', () => {
    const UnsubscribeURL = `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:abc`;
    expect(subscriptionArnOf({ UnsubscribeURL })).toBe(`${topicArn}:abc`);
    expect(subscriptionArnOf({})).toBeUndefined();
  });
});

describe('the notifier’s trigger attribute', () => {
  it('is set for events that name their trigger, so a triggers filter can match', async () => {
    const { entryOf } = await import('../../../shared/adapters/aws/sns-notifier.ts');
    const base = { type: 'run.started', severity: 'info', tenant: 'acme', runId: 'r', time: 't' } as const;
    expect(entryOf({ ...base, trigger: 'nightly' } as never, 0).MessageAttributes?.trigger).toEqual({
      DataType: 'String',
      StringValue: 'nightly',
    });
    expect(entryOf(base, 0).MessageAttributes?.trigger).toBeUndefined();
  });
});
