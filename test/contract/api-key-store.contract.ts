import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore } from '../../shared/ports/api-key-store.ts';

/** The ApiKeyStore contract, run against every adapter. Every test uses fresh key hashes. */
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
      const record: ApiKeyRecord = {
        keyHash: newHash(),
        tenant: 'acme',
        createdAt: '2025-06-01T12:00:00.000Z',
        label: 'ci pipeline',
      };

      // Act
      await store.put(record);

      // Assess
      expect(await store.getByHash(record.keyHash)).toEqual(record);
    });

    it('finds a stored key without a label', async () => {
      // Prepare
      const store = await makeStore();
      const record: ApiKeyRecord = {
        keyHash: newHash(),
        tenant: 'acme',
        createdAt: '2025-06-01T12:00:00.000Z',
      };

      // Act
      await store.put(record);

      // Assess
      const found = await store.getByHash(record.keyHash);
      expect(found).toEqual(record);
      expect(found && 'label' in found && found.label !== undefined).toBe(false);
    });

    it('keeps keys of different tenants apart', async () => {
      // Prepare
      const store = await makeStore();
      const a: ApiKeyRecord = {
        keyHash: newHash(),
        tenant: 'tenant-a',
        createdAt: '2025-06-01T12:00:00.000Z',
      };
      const b: ApiKeyRecord = {
        keyHash: newHash(),
        tenant: 'tenant-b',
        createdAt: '2025-06-02T12:00:00.000Z',
      };

      // Act
      await Promise.all([store.put(a), store.put(b)]);

      // Assess
      expect((await store.getByHash(a.keyHash))?.tenant).toBe('tenant-a');
      expect((await store.getByHash(b.keyHash))?.tenant).toBe('tenant-b');
    });
  });
}

const newHash = () => createHash('sha256').update(randomUUID()).digest('hex');
