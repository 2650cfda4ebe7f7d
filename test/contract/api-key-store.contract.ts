import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore } from '../../shared/ports/api-key-store.ts';

/**
 * The ApiKeyStore contract, run against every adapter. Stores of one adapter may share a table,
 * so every test uses fresh hashes and its own tenant.
 */
export function describeApiKeyStoreContract(name: string, makeStore: () => Promise<ApiKeyStore>) {
  describe(`ApiKeyStore contract: ${name}`, () => {
    it('returns nothing for a hash it never stored', async () => {
      // Prepare
      const store = await makeStore();

      // Act
      const found = await store.getByHash(newHash());

      // Assess
      expect(found).toBeUndefined();
    });

    it('finds a stored key by its hash, label included', async () => {
      // Prepare
      const store = await makeStore();
      const record = newRecord(newTenant(), '01A', { label: 'ci pipeline' });

      // Act
      await store.put(record);

      // Assess
      expect(await store.getByHash(record.keyHash)).toEqual(record);
    });

    it('finds a stored key without a label', async () => {
      // Prepare
      const store = await makeStore();
      const record = newRecord(newTenant(), '01A');

      // Act
      await store.put(record);

      // Assess
      const found = await store.getByHash(record.keyHash);
      expect(found).toEqual(record);
      expect(found && 'label' in found).toBe(false);
    });

    it('keeps keys of different tenants apart', async () => {
      // Prepare
      const store = await makeStore();
      const a = newRecord(newTenant(), '01A');
      const b = newRecord(newTenant(), '01A');

      // Act
      await Promise.all([store.put(a), store.put(b)]);

      // Assess
      expect((await store.getByHash(a.keyHash))?.tenant).toBe(a.tenant);
      expect((await store.getByHash(b.keyHash))?.tenant).toBe(b.tenant);
      expect((await store.list(a.tenant)).items.map((key) => key.tenant)).toEqual([a.tenant]);
    });

    it('refuses a second key with the same hash', async () => {
      // Prepare
      const store = await makeStore();
      const record = newRecord(newTenant(), '01A');
      await store.put(record);

      // Act
      const again = store.put({ ...record, keyId: '01B' });

      // Assess
      await expect(again).rejects.toThrow();
      expect((await store.list(record.tenant)).items.map((key) => key.keyId)).toEqual(['01A']);
    });

    it("lists a tenant's keys oldest first, without their hashes", async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const records = [
        newRecord(tenant, '01C'),
        newRecord(tenant, '01A', { label: 'deploy' }),
        newRecord(tenant, '01B'),
      ];
      await Promise.all(records.map((record) => store.put(record)));

      // Act
      const page = await store.list(tenant);

      // Assess
      expect(page).toEqual({
        items: [
          { keyId: '01A', tenant, createdAt: '2025-06-01T12:00:00.000Z', label: 'deploy' },
          { keyId: '01B', tenant, createdAt: '2025-06-01T12:00:00.000Z' },
          { keyId: '01C', tenant, createdAt: '2025-06-01T12:00:00.000Z' },
        ],
      });
      for (const record of records) expect(JSON.stringify(page)).not.toContain(record.keyHash);
    });

    it('lists nothing for a tenant without keys', async () => {
      // Prepare
      const store = await makeStore();

      // Act
      const page = await store.list(newTenant());

      // Assess
      expect(page).toEqual({ items: [] });
    });

    it('pages through a listing with the cursor it hands out, and refuses one from another tenant', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const other = newTenant();
      await Promise.all(['01A', '01B', '01C'].map((keyId) => store.put(newRecord(tenant, keyId))));
      await Promise.all(['01A', '01B'].map((keyId) => store.put(newRecord(other, keyId))));

      // Act
      const first = await store.list(tenant, { limit: 2 });
      const second = await store.list(tenant, { limit: 2, cursor: first.cursor as string });
      const foreign = store.list(tenant, {
        cursor: (await store.list(other, { limit: 1 })).cursor as string,
      });

      // Assess
      expect(first.items.map((key) => key.keyId)).toEqual(['01A', '01B']);
      expect(second.items.map((key) => key.keyId)).toEqual(['01C']);
      expect(second.cursor).toBeUndefined();
      await expect(foreign).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });

    it('revokes a key: it is found neither by hash nor in the listing', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const revoked = newRecord(tenant, '01A');
      const kept = newRecord(tenant, '01B');
      await Promise.all([store.put(revoked), store.put(kept)]);

      // Act
      const result = await store.revoke(tenant, '01A');

      // Assess
      expect(result).toBe(true);
      expect(await store.getByHash(revoked.keyHash)).toBeUndefined();
      expect(await store.getByHash(kept.keyHash)).toEqual(kept);
      expect((await store.list(tenant)).items.map((key) => key.keyId)).toEqual(['01B']);
    });

    it('answers false for an unknown key id, a key revoked already and a key of another tenant', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const other = newRecord(newTenant(), '01B');
      await Promise.all([store.put(newRecord(tenant, '01A')), store.put(other)]);
      await store.revoke(tenant, '01A');

      // Act
      const results = await Promise.all([
        store.revoke(tenant, '01Z'),
        store.revoke(tenant, '01A'),
        store.revoke(tenant, '01B'),
      ]);

      // Assess
      expect(results).toEqual([false, false, false]);
      expect(await store.getByHash(other.keyHash)).toEqual(other);
    });

    it('revokes once when two revocations race', async () => {
      // Prepare
      const store = await makeStore();
      const record = newRecord(newTenant(), '01A');
      await store.put(record);

      // Act
      const results = await Promise.all([
        store.revoke(record.tenant, '01A'),
        store.revoke(record.tenant, '01A'),
      ]);

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.getByHash(record.keyHash)).toBeUndefined();
    });

    it('records a use unless a more recent one is within the interval', async () => {
      // Prepare
      const store = await makeStore();
      const record = newRecord(newTenant(), '01A');
      await store.put(record);
      const lastUsed = async () => (await store.list(record.tenant)).items[0]?.lastUsedAt;

      // Act
      await store.recordUse(record.tenant, '01A', '2025-06-02T10:00:00.000Z', '2025-06-02T09:55:00.000Z');
      const first = await lastUsed();
      await store.recordUse(record.tenant, '01A', '2025-06-02T10:03:00.000Z', '2025-06-02T09:58:00.000Z');
      const skipped = await lastUsed();
      await store.recordUse(record.tenant, '01A', '2025-06-02T10:06:00.000Z', '2025-06-02T10:01:00.000Z');
      const later = await lastUsed();

      // Assess
      expect([first, skipped, later]).toEqual([
        '2025-06-02T10:00:00.000Z',
        '2025-06-02T10:00:00.000Z',
        '2025-06-02T10:06:00.000Z',
      ]);
      expect(await store.getByHash(record.keyHash)).toEqual(record);
    });

    it('records no use of a revoked or unknown key, and brings neither back', async () => {
      // Prepare
      const store = await makeStore();
      const record = newRecord(newTenant(), '01A');
      await store.put(record);
      await store.revoke(record.tenant, '01A');

      // Act
      await store.recordUse(record.tenant, '01A', '2025-06-02T10:00:00.000Z', '2025-06-02T09:55:00.000Z');
      await store.recordUse(record.tenant, '01Z', '2025-06-02T10:00:00.000Z', '2025-06-02T09:55:00.000Z');

      // Assess
      expect(await store.list(record.tenant)).toEqual({ items: [] });
      expect(await store.getByHash(record.keyHash)).toBeUndefined();
    });
  });
}

const newHash = () => createHash('sha256').update(randomUUID()).digest('hex');
const newTenant = () => `t-${randomUUID().slice(0, 8)}`;

function newRecord(tenant: string, keyId: string, extra: { label?: string } = {}): ApiKeyRecord {
  return { keyId, keyHash: newHash(), tenant, createdAt: '2025-06-01T12:00:00.000Z', ...extra };
}
