/**
 * SubscriptionBinder on the events topic (SNS; fauxqs locally). Every SNS subscription carries
 * the filter policy of `filterPolicyOf`, which always holds `tenant: [<tenant>]`: SNS itself
 * keeps a subscriber to its tenant's events (the notifier sets `tenant` on every message).
 *
 * | endpoint | SNS subscription                                                             |
 * | -------- | ---------------------------------------------------------------------------- |
 * | email    | protocol `email` (pending until the address confirms it)                     |
 * | sqs      | protocol `sqs`, the given queue, raw delivery (the event JSON as the body)   |
 * | https    | protocol `sqs`, the webhook deliverer's queue, SNS envelope (not raw): the   |
 * |          | envelope's `UnsubscribeURL` names the SNS subscription, which names the      |
 * |          | Skein subscription, so SNS does the filtering for webhooks too               |
 */
import {
  NotFoundException,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { SkeinError } from '../../domain/problems.ts';
import { filterPolicyOf, type Subscription } from '../../domain/subscriptions.ts';
import type { SubscriptionBinder } from '../../ports/subscription-binder.ts';

export interface SnsSubscriptionBinderProps {
  readonly client: SNSClient;
  /** The events topic (`SnsNotifier` publishes to it). */
  readonly topicArn: string;
  /** The webhook deliverer's queue: https subscriptions subscribe it. */
  readonly webhookQueueArn: string;
}

/**
 * @example const binder = new SnsSubscriptionBinder({ client: new SNSClient({}), topicArn, webhookQueueArn });
 */
export class SnsSubscriptionBinder implements SubscriptionBinder {
  constructor(private readonly props: SnsSubscriptionBinderProps) {}

  async bind(subscription: Subscription): Promise<string> {
    const { endpoint } = subscription;
    const FilterPolicy = JSON.stringify(filterPolicyOf(subscription.tenant, subscription.filter));
    const [Protocol, Endpoint, raw] =
      endpoint.kind === 'email'
        ? ['email', endpoint.address, false]
        : endpoint.kind === 'sqs'
          ? ['sqs', endpoint.queueArn, true]
          : ['sqs', this.props.webhookQueueArn, false];
    const out = await refused(
      this.props.client.send(
        new SubscribeCommand({
          TopicArn: this.props.topicArn,
          Protocol,
          Endpoint,
          ReturnSubscriptionArn: true,
          Attributes: {
            FilterPolicy,
            FilterPolicyScope: 'MessageAttributes',
            ...(raw && { RawMessageDelivery: 'true' }),
          },
        }),
      ),
    );
    if (!out.SubscriptionArn) throw new Error(`SNS returned no subscription ARN for ${subscription.id}`);
    return out.SubscriptionArn;
  }

  async refilter(bindingArn: string, subscription: Subscription): Promise<void> {
    await this.props.client.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: bindingArn,
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify(filterPolicyOf(subscription.tenant, subscription.filter)),
      }),
    );
  }

  async unbind(bindingArn: string): Promise<void> {
    try {
      await this.props.client.send(new UnsubscribeCommand({ SubscriptionArn: bindingArn }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }
}

/**
 * The SNS subscription ARN of an envelope delivered to SQS, read from its `UnsubscribeURL`.
 * @example subscriptionArnOf({ UnsubscribeURL: 'https://sns...?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:...' })
 */
export function subscriptionArnOf(envelope: { readonly UnsubscribeURL?: unknown }): string | undefined {
  if (typeof envelope.UnsubscribeURL !== 'string') return undefined;
  try {
    return new URL(envelope.UnsubscribeURL).searchParams.get('SubscriptionArn') ?? undefined;
  } catch {
    return undefined;
  }
}

/** SNS's refusals of an endpoint (a queue that does not exist, a bad address) as a 400. */
async function refused<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (
      name === 'InvalidParameterException' ||
      name === 'NotFoundException' ||
      name === 'AuthorizationErrorException'
    ) {
      throw new SkeinError(
        'ENDPOINT_REFUSED',
        `SNS refused the endpoint: ${(error as Error).message}; check it exists and lets the events topic deliver to it`,
        'invalid',
        '$.endpoint',
      );
    }
    throw error;
  }
}
