import { describe, expect, it, vi } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { cachedResolver } from '../../shared/api/auth.ts';
import { createApiKey, hashApiKey, resolveApiKey } from '../../shared/engine/api-keys.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';

describe('createApiKey', () => {
  it('stores only the hash and resolves the key to its tenant', async () => {
    // Prepare
    const apiKeys = new MemoryApiKeyStore();
    const deps = { apiKeys, clock: new FakeClock(), ids: sequentialIds() };
    // Act
    const { key, record } = await createApiKey(deps, 'acme', 'ci');
    // Assess
    expect(key).toMatch(/^skein_/);
    expect(record).toEqual({
      keyId: 'id-0002',
      keyHash: hashApiKey(key),
      tenant: 'acme',
      createdAt: '2026-01-01T00:00:00.000Z',
      label: 'ci',
    });
    expect(JSON.stringify(await apiKeys.getByHash(record.keyHash))).not.toContain(key);
    expect(await resolveApiKey(apiKeys, key)).toBe('acme');
    expect(await resolveApiKey(apiKeys, `${key}x`)).toBeUndefined();
  });

  it('refuses a tenant id that is not lowercase letters, digits and dashes', async () => {
    const deps = { apiKeys: new MemoryApiKeyStore(), clock: new FakeClock(), ids: sequentialIds() };
    await expect(createApiKey(deps, 'Not A Tenant')).rejects.toMatchObject({ code: 'INVALID_TENANT' });
  });
});

describe('cachedResolver', () => {
  it('reads the store once per key until the entry expires', async () => {
    // Prepare
    const clock = new FakeClock();
    const resolve = vi.fn(async (key: string) => (key === 'good' ? 'acme' : undefined));
    const cached = cachedResolver(resolve, () => clock.now(), 60_000);
    // Act
    await cached('good');
    await cached('good');
    clock.advance(60_001);
    await cached('good');
    // Assess
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('forgets unknown keys sooner, so a key created a moment later works', async () => {
    const clock = new FakeClock();
    let known = false;
    const cached = cachedResolver(
      async () => (known ? 'acme' : undefined),
      () => clock.now(),
      60_000,
    );
    expect(await cached('k')).toBeUndefined();
    known = true;
    clock.advance(5_001);
    expect(await cached('k')).toBe('acme');
  });
});
