import { createHash } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../ports/api-key-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import { assertTenantId } from './tenants.ts';

export interface ApiKeyDeps {
  readonly apiKeys: ApiKeyStore;
  readonly clock: Clock;
  readonly ids: Ids;
}

const KEY_PREFIX = 'skein_';

/** Keys are 32 random bytes, so a fast hash is enough: nothing to brute-force. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * Creates a key for a tenant. The key is returned once; only its hash is stored.
 * @example const { key } = await createApiKey(deps, 'demo'); // 'skein_Vx3...'
 */
export async function createApiKey(
  deps: ApiKeyDeps,
  tenant: string,
  label?: string,
): Promise<{ key: string; record: ApiKeyRecord }> {
  assertTenantId(tenant);
  const key = `${KEY_PREFIX}${deps.ids.secret(32)}`;
  const record: ApiKeyRecord = {
    keyHash: hashApiKey(key),
    tenant,
    createdAt: new Date(deps.clock.now()).toISOString(),
    ...(label !== undefined && { label }),
  };
  await deps.apiKeys.put(record);
  return { key, record };
}

/** The tenant a key belongs to, or undefined for an unknown key. */
export async function resolveApiKey(apiKeys: ApiKeyStore, key: string): Promise<string | undefined> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return undefined;
  return (await apiKeys.getByHash(hashApiKey(key)))?.tenant;
}
