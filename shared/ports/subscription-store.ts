import type { DeliveryAttempt, Subscription } from '../domain/subscriptions.ts';
import type { Page, PageRequest } from './page.ts';

/**
 * A tenant's event subscriptions and the webhook deliverer's log of attempts. Subscriptions are
 * few per tenant (at most `MAX_SUBSCRIPTIONS_PER_TENANT`), so `list` returns them all, id order.
 */
export interface SubscriptionStore {
  /** Creates or replaces the subscription `(tenant, id)`. */
  put(subscription: Subscription): Promise<void>;
  get(tenant: string, id: string): Promise<Subscription | undefined>;
  /** All of a tenant's subscriptions, by id. */
  list(tenant: string): Promise<Subscription[]>;
  /**
   * Deletes it; false when the tenant has no such subscription. Its delivery log is left to expire
   * (TTL): the API lists deliveries of existing subscriptions only.
   */
  remove(tenant: string, id: string): Promise<boolean>;
  /** Records one attempt, kept until `expiresAt` (epoch seconds). */
  recordDelivery(attempt: DeliveryAttempt, expiresAt: number): Promise<void>;
  /** A subscription's attempts, newest first. A cursor of another listing is a 400 `INVALID_CURSOR`. */
  listDeliveries(tenant: string, id: string, page?: PageRequest): Promise<Page<DeliveryAttempt>>;
}

/** The sort key of an attempt: time, then message and attempt, so newest first is key order. */
export function deliveryKeyOf(attempt: DeliveryAttempt): string {
  return `${attempt.at}#${attempt.messageId}#${String(attempt.attempt).padStart(4, '0')}`;
}
