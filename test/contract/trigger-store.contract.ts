import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FIRING_LOG_SIZE,
  type FiringRecord,
  type TriggerRecord,
  type TriggerStore,
} from '../../shared/ports/trigger-store.ts';

/** The TriggerStore contract, run against every adapter; every test uses its own tenant. */
export function describeTriggerStoreContract(name: string, makeStore: () => Promise<TriggerStore>) {
  describe(`TriggerStore contract: ${name}`, () => {
    it('returns nothing for a trigger it never stored', async () => {
      // Prepare
      const store = await makeStore();

      // Act
      const found = await store.get(newTenant(), 'nightly');

      // Assess
      expect(found).toBeUndefined();
    });

    it('stores a cron trigger with its template and finds it by tenant and id', async () => {
      // Prepare
      const store = await makeStore();
      const record = cronRecord(newTenant(), 'nightly');

      // Act
      await store.put(record);

      // Assess
      expect(await store.get(record.tenant, 'nightly')).toEqual(record);
      expect(await store.get(newTenant(), 'nightly')).toBeUndefined();
    });

    it('finds a webhook trigger by its hook id, and not once it is deleted', async () => {
      // Prepare
      const store = await makeStore();
      const record = hookRecord(newTenant(), 'github', `hook-${randomUUID()}`);
      await store.put(record);

      // Act
      const found = await store.getByHook(record.webhook?.hookId ?? '');
      const deleted = await store.delete(record.tenant, 'github');

      // Assess
      expect(found).toEqual(record);
      expect(deleted).toBe(true);
      expect(await store.getByHook(record.webhook?.hookId ?? '')).toBeUndefined();
      expect(await store.delete(record.tenant, 'github')).toBe(false);
    });

    it('lists a tenant’s triggers by id, page by page', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      for (const id of ['c', 'a', 'b']) await store.put(cronRecord(tenant, id));
      await store.put(cronRecord(newTenant(), 'z'));

      // Act
      const first = await store.list(tenant, { limit: 2 });
      const second = await store.list(tenant, { limit: 2, ...(first.cursor && { cursor: first.cursor }) });

      // Assess
      expect(first.items.map((t) => t.triggerId)).toEqual(['a', 'b']);
      expect(second.items.map((t) => t.triggerId)).toEqual(['c']);
      expect(second.cursor).toBeUndefined();
    });

    it('lists enabled cron triggers of every tenant for the scheduler', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      await store.put(cronRecord(tenant, 'on'));
      await store.put({ ...cronRecord(tenant, 'off'), enabled: false });
      await store.put(hookRecord(tenant, 'hook', `hook-${randomUUID()}`));

      // Act
      const cron = (await store.listCron()).filter((t) => t.tenant === tenant);

      // Assess
      expect(cron.map((t) => t.triggerId)).toEqual(['on']);
    });

    it('lists enabled event triggers of every tenant, and forgets one replaced, paused or deleted', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const other = newTenant();
      for (const id of ['a', 'b', 'c', 'd']) await store.put(eventRecord(tenant, id));
      await store.put(eventRecord(other, 'a'));
      await store.put({ ...eventRecord(tenant, 'off'), enabled: false });
      await store.put(cronRecord(tenant, 'cron'));

      // Act
      await store.put(cronRecord(tenant, 'b')); // an event trigger replaced by a cron one
      await store.update(tenant, 'c', { enabled: false });
      await store.delete(tenant, 'd');
      const found = (await store.listEvent()).filter((t) => t.tenant === tenant || t.tenant === other);

      // Assess
      expect(found.map((t) => `${t.tenant === tenant ? 'mine' : 'other'}/${t.triggerId}`).sort()).toEqual([
        'mine/a',
        'other/a',
      ]);
      expect(found.find((t) => t.tenant === tenant)).toEqual(eventRecord(tenant, 'a'));
    });

    it('updates the cursor, last run and buffer of an existing trigger only', async () => {
      // Prepare
      const store = await makeStore();
      const record = cronRecord(newTenant(), 'nightly');
      await store.put(record);

      // Act
      const updated = await store.update(record.tenant, 'nightly', {
        lastScheduledAt: '2026-01-01T00:00:00.000Z',
        lastRunId: 'run-1',
        buffered: ['2026-01-01T00:01:00.000Z'],
      });
      const cleared = await store.update(record.tenant, 'nightly', { buffered: undefined, enabled: false });
      const missing = await store.update(record.tenant, 'nope', { enabled: false });

      // Assess
      expect(updated).toBe(true);
      expect(cleared).toBe(true);
      expect(missing).toBe(false);
      const found = await store.get(record.tenant, 'nightly');
      expect(found?.lastScheduledAt).toBe('2026-01-01T00:00:00.000Z');
      expect(found?.lastRunId).toBe('run-1');
      expect(found?.buffered).toBeUndefined();
      expect(found?.enabled).toBe(false);
    });

    it('keeps the newest firings first, replaces a repeated one, and drops the oldest past the bound', async () => {
      // Prepare
      const store = await makeStore();
      const record = cronRecord(newTenant(), 'nightly');
      await store.put(record);
      const total = FIRING_LOG_SIZE + 3;

      // Act
      for (let i = 0; i < total; i++) await store.recordFiring(record.tenant, 'nightly', firing(i));
      await store.recordFiring(record.tenant, 'nightly', { ...firing(total - 1), runId: 'again' });

      // Assess
      const log = await store.firings(record.tenant, 'nightly');
      expect(log).toHaveLength(FIRING_LOG_SIZE);
      expect(log[0]).toEqual({ ...firing(total - 1), runId: 'again' });
      expect(log.at(-1)).toEqual(firing(3));
      expect(await store.firings(record.tenant, 'nightly', 2)).toHaveLength(2);
    });

    it('refuses a cursor of another tenant’s listing', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      for (const id of ['a', 'b']) await store.put(cronRecord(tenant, id));
      const page = await store.list(tenant, { limit: 1 });

      // Act
      const other = store.list(newTenant(), { cursor: page.cursor ?? '' });

      // Assess
      await expect(other).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });
  });
}

const newTenant = () => `t-${randomUUID().slice(0, 8)}`;

function cronRecord(tenant: string, triggerId: string): TriggerRecord {
  return {
    tenant,
    triggerId,
    type: 'cron',
    workflow: 'hello',
    version: '^1.0.0',
    inputs: { name: '{% $inputs.scheduledAt %}', empty: '', nested: { list: [1, null] } },
    enabled: true,
    cron: {
      expression: '*/2 * * * * *',
      timezone: 'Europe/London',
      overlap: 'skip',
      catchupWindowMs: 60_000,
      jitterMs: 0,
    },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function hookRecord(tenant: string, triggerId: string, hookId: string): TriggerRecord {
  return {
    tenant,
    triggerId,
    type: 'webhook',
    workflow: 'hello',
    enabled: true,
    webhook: { hookId, secret: 'whsec_c2VjcmV0', github: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function eventRecord(tenant: string, triggerId: string): TriggerRecord {
  return {
    tenant,
    triggerId,
    type: 'event',
    workflow: 'hello',
    enabled: true,
    event: { pattern: { source: ['shop'], detail: { total: [{ numeric: ['>', 100] }] } } },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function firing(i: number): FiringRecord {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    key: `trg/nightly/${at}`,
    at,
    firedAt: at,
    scheduledAt: at,
    outcome: 'started',
    runId: `run-${i}`,
  };
}
