import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DeliveryAttempt, Subscription } from '../../shared/domain/subscriptions.ts';
import type { SubscriptionStore } from '../../shared/ports/subscription-store.ts';

/** The SubscriptionStore contract, run against every adapter; each test uses its own tenant. */
export function describeSubscriptionStoreContract(name: string, makeStore: () => Promise<SubscriptionStore>) {
  describe(`SubscriptionStore contract: ${name}`, () => {
    it('gets back a stored subscription, filter, secret and binding included', async () => {
      // Prepare
      const store = await makeStore();
      const subscription = https(newTenant(), 'hooks');

      // Act
      await store.put(subscription);

      // Assess
      expect(await store.get(subscription.tenant, 'hooks')).toEqual(subscription);
    });

    it('replaces a subscription put again under the same id', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      await store.put(https(tenant, 'hooks'));
      const replaced: Subscription = {
        tenant,
        id: 'hooks',
        endpoint: { kind: 'email', address: 'ops@example.com' },
        filter: {},
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-02T00:00:00.000Z',
      };

      // Act
      await store.put(replaced);

      // Assess
      expect(await store.get(tenant, 'hooks')).toEqual(replaced);
    });

    it('lists a tenant’s subscriptions by id and never another tenant’s', async () => {
      // Prepare
      const store = await makeStore();
      const [a, b] = [newTenant(), newTenant()];
      await Promise.all([store.put(https(a, 'z')), store.put(https(a, 'b')), store.put(https(b, 'c'))]);

      // Act
      const listed = await store.list(a);

      // Assess
      expect(listed.map((s) => s.id)).toEqual(['b', 'z']);
      expect(await store.get(a, 'c')).toBeUndefined();
    });

    it('removes a subscription once', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      await store.put(https(tenant, 'hooks'));

      // Act
      const first = await store.remove(tenant, 'hooks');
      const second = await store.remove(tenant, 'hooks');

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(await store.get(tenant, 'hooks')).toBeUndefined();
      expect(await store.list(tenant)).toEqual([]);
    });

    it('does not remove another tenant’s subscription', async () => {
      // Prepare
      const store = await makeStore();
      const [a, b] = [newTenant(), newTenant()];
      await store.put(https(a, 'hooks'));

      // Act
      const removed = await store.remove(b, 'hooks');

      // Assess
      expect(removed).toBe(false);
      expect(await store.get(a, 'hooks')).toBeDefined();
    });

    it('lists delivery attempts newest first, in pages', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const attempts = [1, 2, 3].map((n) => attempt(tenant, 'hooks', n));
      for (const each of attempts) await store.recordDelivery(each, 2_000_000_000);
      await store.recordDelivery(attempt(tenant, 'other', 1), 2_000_000_000);

      // Act
      const first = await store.listDeliveries(tenant, 'hooks', { limit: 2 });
      const rest = await store.listDeliveries(tenant, 'hooks', { limit: 2, cursor: first.cursor ?? '' });

      // Assess
      expect(first.items).toEqual([attempts[2], attempts[1]]);
      expect(first.cursor).toBeDefined();
      expect(rest).toEqual({ items: [attempts[0]] });
    });

    it('refuses a cursor of another listing', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      for (const n of [1, 2]) await store.recordDelivery(attempt(tenant, 'a', n), 2_000_000_000);
      const { cursor } = await store.listDeliveries(tenant, 'a', { limit: 1 });

      // Act
      const listing = store.listDeliveries(tenant, 'b', { cursor: cursor ?? '' });

      // Assess
      await expect(listing).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });
  });
}

const newTenant = () => `t-${randomUUID().slice(0, 8)}`;

function https(tenant: string, id: string): Subscription {
  return {
    tenant,
    id,
    endpoint: { kind: 'https', url: 'https://hooks.example.com/skein' },
    filter: { workflows: ['orders'], types: ['run.failed'], severities: ['error', 'critical'] },
    secret: 'whsec_c2VjcmV0',
    bindingArn: 'arn:aws:sns:us-east-1:123456789012:events:0d1c',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function attempt(tenant: string, subscriptionId: string, n: number): DeliveryAttempt {
  return {
    tenant,
    subscriptionId,
    messageId: 'm-1',
    attempt: n,
    at: `2026-01-01T00:0${n}:00.000Z`,
    status: n < 3 ? 'failed' : 'delivered',
    eventType: 'run.failed',
    runId: 'r-1',
    ...(n < 3
      ? { error: 'HTTP 503', httpStatus: 503, nextAttemptAt: `2026-01-01T00:0${n + 1}:00.000Z` }
      : { httpStatus: 200 }),
  };
}
