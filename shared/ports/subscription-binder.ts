import type { Subscription } from '../domain/subscriptions.ts';

/**
 * Makes a subscription real where events are published: on AWS (and locally, against fauxqs) an
 * SNS subscription of the events topic whose filter policy always pins the subscription's tenant
 * (`filterPolicyOf`). E-mail and SQS endpoints subscribe directly; an https endpoint subscribes
 * the webhook deliverer's queue, which calls the endpoint.
 */
export interface SubscriptionBinder {
  /** Creates the binding; resolves with its id (the SNS subscription ARN). */
  bind(subscription: Subscription): Promise<string>;
  /** Replaces the filter of an existing binding (same endpoint). */
  refilter(bindingArn: string, subscription: Subscription): Promise<void>;
  /** Removes a binding; one that is already gone is not an error. */
  unbind(bindingArn: string): Promise<void>;
}

/** A binder that binds nothing: an API without events (tests, `skein run`). */
export const noBinder: SubscriptionBinder = {
  bind: async (subscription) => `none:${subscription.tenant}:${subscription.id}`,
  refilter: async () => {},
  unbind: async () => {},
};
