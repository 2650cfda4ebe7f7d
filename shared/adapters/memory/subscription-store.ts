import type { DeliveryAttempt, Subscription } from '../../domain/subscriptions.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import { deliveryKeyOf, type SubscriptionStore } from '../../ports/subscription-store.ts';
import { pageOf } from './paging.ts';

const keyOf = (tenant: string, id: string) => JSON.stringify([tenant, id]);

/** In-process subscriptions with the same contract as the DynamoDB adapter (TTL is not applied). */
export class MemorySubscriptionStore implements SubscriptionStore {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly deliveries = new Map<string, DeliveryAttempt[]>();

  async put(subscription: Subscription): Promise<void> {
    this.subscriptions.set(keyOf(subscription.tenant, subscription.id), structuredClone(subscription));
  }

  async get(tenant: string, id: string): Promise<Subscription | undefined> {
    const found = this.subscriptions.get(keyOf(tenant, id));
    return found && structuredClone(found);
  }

  async list(tenant: string): Promise<Subscription[]> {
    return [...this.subscriptions.values()]
      .filter((subscription) => subscription.tenant === tenant)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((subscription) => structuredClone(subscription));
  }

  async remove(tenant: string, id: string): Promise<boolean> {
    return this.subscriptions.delete(keyOf(tenant, id));
  }

  async recordDelivery(attempt: DeliveryAttempt, _expiresAt?: number): Promise<void> {
    const key = keyOf(attempt.tenant, attempt.subscriptionId);
    const list = this.deliveries.get(key) ?? [];
    list.push(structuredClone(attempt));
    this.deliveries.set(key, list);
  }

  async listDeliveries(tenant: string, id: string, page: PageRequest = {}): Promise<Page<DeliveryAttempt>> {
    const list = [...(this.deliveries.get(keyOf(tenant, id)) ?? [])].sort((a, b) =>
      deliveryKeyOf(a) < deliveryKeyOf(b) ? 1 : -1,
    );
    return pageOf(list, page, (attempt) => `${tenant}#${id}#${deliveryKeyOf(attempt)}`);
  }
}
