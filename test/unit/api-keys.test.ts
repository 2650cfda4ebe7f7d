import { describe, expect, it, vi } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { keyResolver } from '../../shared/api/key-resolver.ts';
import {
  createApiKey,
  hashApiKey,
  listAllApiKeys,
  MAX_KEYS_PER_TENANT,
  resolveApiKey,
  revokeApiKey,
} from '../../shared/engine/api-keys.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';

const keyDeps = () => ({ apiKeys: new MemoryApiKeyStore(), clock: new FakeClock(), ids: sequentialIds() });

describe('createApiKey', () => {
  it('stores only the hash, with a key id, and resolves the key to its tenant', async () => {
    // Prepare
    const deps = keyDeps();
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
    expect(JSON.stringify(await deps.apiKeys.getByHash(record.keyHash))).not.toContain(key);
    expect(await resolveApiKey(deps.apiKeys, key)).toBe('acme');
    expect(await resolveApiKey(deps.apiKeys, `${key}x`)).toBeUndefined();
  });

  it('refuses a tenant id that is not lowercase letters, digits and dashes', async () => {
    await expect(createApiKey(keyDeps(), 'Not A Tenant')).rejects.toMatchObject({ code: 'INVALID_TENANT' });
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(101)],
    ['with a newline', 'ci\nadmin'],
  ])('refuses a label that is %s, naming $.label', async (_what, label) => {
    await expect(createApiKey(keyDeps(), 'acme', label)).rejects.toMatchObject({
      code: 'INVALID_LABEL',
      kind: 'invalid',
      path: '$.label',
    });
  });

  it(`refuses a key beyond ${MAX_KEYS_PER_TENANT} per tenant, and makes one again after a revocation`, async () => {
    // Prepare
    const deps = keyDeps();
    const made = [];
    for (let i = 0; i < MAX_KEYS_PER_TENANT; i++) made.push(await createApiKey(deps, 'acme'));
    // Act
    const refused = createApiKey(deps, 'acme');
    // Assess
    await expect(refused).rejects.toMatchObject({ code: 'TOO_MANY_KEYS', kind: 'conflict' });
    await revokeApiKey(deps.apiKeys, 'acme', made[0]?.record.keyId as string);
    await expect(createApiKey(deps, 'acme')).resolves.toBeDefined();
    await expect(createApiKey(deps, 'other')).resolves.toBeDefined();
  });
});

describe('revokeApiKey', () => {
  it('makes the key stop resolving and drops it from the listing', async () => {
    // Prepare
    const deps = keyDeps();
    const { key, record } = await createApiKey(deps, 'acme');
    // Act
    await revokeApiKey(deps.apiKeys, 'acme', record.keyId);
    // Assess
    expect(await resolveApiKey(deps.apiKeys, key)).toBeUndefined();
    expect(await listAllApiKeys(deps.apiKeys, 'acme')).toEqual([]);
  });

  it.each([
    ['an unknown id', 'acme', 'id-9999'],
    ["another tenant's key", 'globex', 'id-0002'],
    ['an id that cannot exist', 'acme', 'x#y'],
  ])('answers 404 for %s', async (_what, tenant, keyId) => {
    // Prepare
    const deps = keyDeps();
    const { key } = await createApiKey(deps, 'acme');
    // Act
    const attempt = revokeApiKey(deps.apiKeys, tenant, keyId);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'NOT_FOUND', kind: 'not_found' });
    expect(await resolveApiKey(deps.apiKeys, key)).toBe('acme');
  });
});

describe('keyResolver', () => {
  async function setup(options: { cacheTtlMs?: number; recordUseEveryMs?: number } = {}) {
    const deps = keyDeps();
    const { key, record } = await createApiKey(deps, 'acme');
    const getByHash = vi.spyOn(deps.apiKeys, 'getByHash');
    const recordUse = vi.spyOn(deps.apiKeys, 'recordUse');
    const logged: unknown[] = [];
    const resolver = keyResolver(deps.apiKeys, {
      clock: deps.clock,
      ...options,
      log: (_message, error) => logged.push(error),
    });
    return { ...deps, key, record, resolver, getByHash, recordUse, logged };
  }

  it('reads the store on every call without a cache, so a revoked key fails at once', async () => {
    // Prepare
    const { resolver, key, record, apiKeys, getByHash } = await setup();
    // Act
    const before = await resolver.resolve(key);
    await revokeApiKey(apiKeys, 'acme', record.keyId);
    const after = await resolver.resolve(key);
    // Assess
    expect(before).toEqual({ tenant: 'acme', keyId: record.keyId });
    expect(after).toBeUndefined();
    expect(getByHash).toHaveBeenCalledTimes(2);
  });

  it('reads the store once per key until the cache entry expires', async () => {
    // Prepare
    const { resolver, key, clock, getByHash } = await setup({ cacheTtlMs: 30_000 });
    // Act
    await resolver.resolve(key);
    clock.advance(29_999);
    await resolver.resolve(key);
    clock.advance(1);
    await resolver.resolve(key);
    // Assess
    expect(getByHash).toHaveBeenCalledTimes(2);
  });

  it('trusts a cached key for at most the cache time after it is revoked elsewhere', async () => {
    // Prepare
    const { resolver, key, record, clock, apiKeys } = await setup({ cacheTtlMs: 30_000 });
    await resolver.resolve(key);
    // Act
    await revokeApiKey(apiKeys, 'acme', record.keyId);
    const cached = await resolver.resolve(key);
    clock.advance(30_000);
    const expired = await resolver.resolve(key);
    // Assess
    expect(cached).toEqual({ tenant: 'acme', keyId: record.keyId });
    expect(expired).toBeUndefined();
  });

  it('forgets a key it is told was revoked', async () => {
    // Prepare
    const { resolver, key, record, apiKeys } = await setup({ cacheTtlMs: 30_000 });
    await resolver.resolve(key);
    // Act
    await revokeApiKey(apiKeys, 'acme', record.keyId);
    resolver.forget(record.keyId);
    // Assess
    expect(await resolver.resolve(key)).toBeUndefined();
  });

  it('never caches an unknown key, so a key made a moment later works', async () => {
    // Prepare
    const { resolver, apiKeys, clock, ids } = await setup({ cacheTtlMs: 30_000 });
    const guess = 'skein_id-secret-0003';
    // Act
    const before = await resolver.resolve(guess);
    const { key } = await createApiKey({ apiKeys, clock, ids }, 'acme');
    // Assess
    expect(before).toBeUndefined();
    expect(key).toBe(guess);
    expect(await resolver.resolve(key)).toMatchObject({ tenant: 'acme' });
  });

  it('refuses strings that are not shaped like keys without reading the store', async () => {
    // Prepare
    const { resolver, getByHash } = await setup();
    // Act
    const results = await Promise.all([
      resolver.resolve('password'),
      resolver.resolve(`skein_${'x'.repeat(300)}`),
    ]);
    // Assess
    expect(results).toEqual([undefined, undefined]);
    expect(getByHash).not.toHaveBeenCalled();
  });

  it('records a use at most once per interval per key', async () => {
    // Prepare
    const { resolver, key, record, clock, apiKeys, recordUse } = await setup({ recordUseEveryMs: 300_000 });
    // Act
    await resolver.resolve(key);
    clock.advance(60_000);
    await resolver.resolve(key);
    clock.advance(240_000);
    await resolver.resolve(key);
    // Assess
    expect(recordUse.mock.calls).toEqual([
      ['acme', record.keyId, '2026-01-01T00:00:00.000Z', '2025-12-31T23:55:00.000Z'],
      ['acme', record.keyId, '2026-01-01T00:05:00.000Z', '2026-01-01T00:00:00.000Z'],
    ]);
    expect((await listAllApiKeys(apiKeys, 'acme'))[0]?.lastUsedAt).toBe('2026-01-01T00:05:00.000Z');
  });

  it('resolves the key and logs when recording its use fails', async () => {
    // Prepare
    const { resolver, key, recordUse, logged } = await setup({ recordUseEveryMs: 300_000 });
    recordUse.mockRejectedValueOnce(new Error('throttled'));
    // Act
    const who = await resolver.resolve(key);
    // Assess
    expect(who).toMatchObject({ tenant: 'acme' });
    expect(logged).toEqual([new Error('throttled')]);
  });
});
