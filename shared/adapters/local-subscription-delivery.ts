/**
 * Subscriptions without SNS (`npm start` on the embedded store): the notifier matches each event
 * against its tenant's subscriptions with `matchesFilter` (the rules of the SNS filter policy,
 * tenant pinned) and sends one message per (event, https subscription) to the deliverer's queue,
 * shaped as the SNS envelope SNS would deliver there (`Message`, `MessageId`, `Timestamp`, and an
 * `UnsubscribeURL` naming the binding), so the same deliverer handler reads it. The binder's
 * bindings are ids only: the filter is read from the subscription store at publish time, so a
 * refilter has nothing to change. E-mail and SQS endpoints are refused (nothing local delivers
 * them): `--store dynamodb` (fauxqs SNS) or AWS do.
 */
import { SkeinError } from '../domain/problems.ts';
import { matchesFilter, type Subscription } from '../domain/subscriptions.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Notifier, SkeinEvent } from '../ports/notifier.ts';
import { MAX_BATCH, type Queue, type QueueMessage } from '../ports/queue.ts';
import type { SubscriptionBinder } from '../ports/subscription-binder.ts';
import type { SubscriptionStore } from '../ports/subscription-store.ts';

/** The prefix of a local binding's id (what SNS calls the subscription ARN). */
const BINDING_PREFIX = 'arn:skein:local:subscription:';

/** @example const binder = localSubscriptionBinder(randomIds); */
export function localSubscriptionBinder(ids: Ids): SubscriptionBinder {
  return {
    bind: async (subscription) => {
      if (subscription.endpoint.kind !== 'https') {
        throw new SkeinError(
          'ENDPOINT_REFUSED',
          `local Skein on the embedded store delivers https subscriptions only; ${subscription.endpoint.kind} endpoints need npm start -- --store dynamodb (fauxqs SNS) or AWS`,
          'invalid',
          '$.endpoint.kind',
        );
      }
      return `${BINDING_PREFIX}${subscription.tenant}:${subscription.id}:${ids.newId()}`;
    },
    refilter: async () => {},
    unbind: async () => {},
  };
}

export interface LocalSubscriptionNotifierOptions {
  readonly subscriptions: SubscriptionStore;
  /** The deliverer's queue. */
  readonly queue: Pick<Queue, 'send'>;
  readonly clock: Clock;
  readonly ids: Ids;
}

/**
 * @example const notifier = new LocalSubscriptionNotifier({ subscriptions, queue: webhooks, clock, ids });
 */
export class LocalSubscriptionNotifier implements Notifier {
  constructor(private readonly options: LocalSubscriptionNotifierOptions) {}

  async publish(events: readonly SkeinEvent[]): Promise<void> {
    const tenants = [...new Set(events.flatMap((event) => (event.tenant ? [event.tenant] : [])))];
    const lists = new Map<string, Subscription[]>();
    await Promise.all(
      tenants.map(async (tenant) => lists.set(tenant, await this.options.subscriptions.list(tenant))),
    );
    const timestamp = new Date(this.options.clock.now()).toISOString();
    const messages: QueueMessage[] = [];
    for (const event of events) {
      const tenant = event.tenant;
      if (tenant === undefined) continue;
      for (const subscription of lists.get(tenant) ?? []) {
        const binding = subscription.bindingArn;
        if (subscription.endpoint.kind !== 'https' || !binding?.startsWith(BINDING_PREFIX)) continue;
        if (!matchesFilter(event, subscription.tenant, subscription.filter)) continue;
        const envelope = {
          Type: 'Notification',
          MessageId: this.options.ids.newId(),
          Message: JSON.stringify(event),
          Timestamp: timestamp,
          UnsubscribeURL: `http://localhost/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(binding)}`,
        };
        messages.push({ body: JSON.stringify(envelope), group: tenant });
      }
    }
    for (let start = 0; start < messages.length; start += MAX_BATCH) {
      await this.options.queue.send(messages.slice(start, start + MAX_BATCH));
    }
  }
}
