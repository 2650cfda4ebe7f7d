import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, SkeinError } from '../domain/problems.ts';
import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from '../ports/api-key-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import { MAX_PAGE_SIZE, type Page, type PageRequest } from '../ports/page.ts';
import { assertTenantId } from './tenants.ts';

export interface ApiKeyDeps {
  readonly apiKeys: ApiKeyStore;
  readonly clock: Clock;
  readonly ids: Ids;
}

const KEY_PREFIX = 'skein_';
/** Longer strings are not keys, whatever they hold: refused before hashing or reading. */
const MAX_KEY_LENGTH = 200;
/** Key ids are ULIDs; anything else in a path or flag is refused before the store is read. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_LABEL_LENGTH = 100;
/** Active keys per tenant: a leaked key cannot mint keys without bound. */
export const MAX_KEYS_PER_TENANT = MAX_PAGE_SIZE;

/** Keys are 32 random bytes, so a fast hash is enough: nothing to brute-force. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Whether a string has the shape of a Skein key; anything else is refused without a store read. */
export const looksLikeApiKey = (key: string): boolean =>
  key.startsWith(KEY_PREFIX) && key.length <= MAX_KEY_LENGTH;

/**
 * Creates a key for a tenant. The key is returned once; only its hash is stored, with a key id
 * (a ULID) that lists, shows and revokes it. A tenant has at most {@link MAX_KEYS_PER_TENANT}.
 * @example const { key, record } = await createApiKey(deps, 'demo', 'ci'); // key 'skein_Vx3...', record.keyId '01J...'
 */
export async function createApiKey(
  deps: ApiKeyDeps,
  tenant: string,
  label?: string,
): Promise<{ key: string; record: ApiKeyRecord }> {
  assertTenantId(tenant);
  if (label !== undefined) assertLabel(label);
  const existing = await deps.apiKeys.list(tenant, { limit: MAX_KEYS_PER_TENANT });
  if (existing.cursor !== undefined || existing.items.length >= MAX_KEYS_PER_TENANT) {
    throw new ConflictError(
      'TOO_MANY_KEYS',
      `tenant "${tenant}" has ${MAX_KEYS_PER_TENANT} API keys, the most it may have; revoke one it no longer uses first`,
    );
  }
  const key = `${KEY_PREFIX}${deps.ids.secret(32)}`;
  const record: ApiKeyRecord = {
    keyId: deps.ids.newId(),
    keyHash: hashApiKey(key),
    tenant,
    createdAt: new Date(deps.clock.now()).toISOString(),
    ...(label !== undefined && { label }),
  };
  await deps.apiKeys.put(record);
  return { key, record };
}

/** The stored key a string is, or undefined (also for strings that are not shaped like keys). */
async function findApiKey(apiKeys: ApiKeyStore, key: string): Promise<ApiKeyRecord | undefined> {
  return looksLikeApiKey(key) ? apiKeys.getByHash(hashApiKey(key)) : undefined;
}

/** The tenant a key belongs to, or undefined for an unknown key. */
export async function resolveApiKey(apiKeys: ApiKeyStore, key: string): Promise<string | undefined> {
  return (await findApiKey(apiKeys, key))?.tenant;
}

/** One page of a tenant's keys, oldest first: ids, labels and times, never a key or its hash. */
export async function listApiKeys(
  apiKeys: ApiKeyStore,
  tenant: string,
  page: PageRequest = {},
): Promise<Page<ApiKeySummary>> {
  assertTenantId(tenant);
  return apiKeys.list(tenant, page);
}

/** Every key of a tenant, following the cursors (a tenant has at most {@link MAX_KEYS_PER_TENANT}). */
export async function listAllApiKeys(apiKeys: ApiKeyStore, tenant: string): Promise<ApiKeySummary[]> {
  const keys: ApiKeySummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await listApiKeys(apiKeys, tenant, { limit: MAX_PAGE_SIZE, ...(cursor && { cursor }) });
    keys.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

/**
 * Revokes a tenant's key: it stops resolving as soon as this resolves (callers that cache
 * lookups bound how long they keep trusting it). An unknown id and another tenant's key are the
 * same 404, so a key cannot learn which ids exist elsewhere.
 * @example await revokeApiKey(apiKeys, 'demo', '01J9Z3K4Q8W5E6R7T8Y9U0I1O2');
 */
export async function revokeApiKey(apiKeys: ApiKeyStore, tenant: string, keyId: string): Promise<void> {
  assertTenantId(tenant);
  const unknown = () =>
    new NotFoundError(
      `tenant "${tenant}" has no API key "${keyId}"; list its keys with GET /v1/tenants/${tenant}/keys or \`skein keys list\``,
    );
  if (!KEY_ID.test(keyId)) throw unknown();
  if (!(await apiKeys.revoke(tenant, keyId))) throw unknown();
}

function assertLabel(label: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new SkeinError(
      'INVALID_LABEL',
      `a label is 1 to ${MAX_LABEL_LENGTH} characters without control characters, got ${JSON.stringify(label.slice(0, MAX_LABEL_LENGTH + 1))}`,
      400,
      '$.label',
    );
  }
}
