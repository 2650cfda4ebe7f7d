import type { Page, PageRequest } from './page.ts';

/**
 * An API key as stored: its sha256 hash, never the key itself. `keyId` is the key's public name
 * (a ULID, so a tenant's keys list oldest first): listings, the API and the CLI show it; the hash
 * stays inside the store.
 */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly keyHash: string;
  readonly tenant: string;
  readonly createdAt: string;
  readonly label?: string;
}

/** A key as listings show it: no key, no hash. */
export interface ApiKeySummary {
  readonly keyId: string;
  readonly tenant: string;
  readonly createdAt: string;
  readonly label?: string;
  /** When the key last authenticated a request, to within the resolver's touch interval. */
  readonly lastUsedAt?: string;
}

/**
 * API keys by hash (the authorizer's O(1) lookup) and by tenant and id (listing, revoking).
 * Both views change together: once `put` resolves both see the key, once `revoke` resolves
 * neither does.
 */
export interface ApiKeyStore {
  /** Stores a new key. */
  put(record: ApiKeyRecord): Promise<void>;
  /** The key with this sha256 hash; one strongly consistent read. */
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** A tenant's keys, oldest first. A cursor from another listing is a 400 `INVALID_CURSOR`. */
  list(tenant: string, page?: PageRequest): Promise<Page<ApiKeySummary>>;
  /** Deletes the tenant's key `keyId`; false when the tenant has no such key (another tenant's included). */
  revoke(tenant: string, keyId: string): Promise<boolean>;
  /**
   * Sets `lastUsedAt` to `usedAt` when the key exists and its `lastUsedAt` is absent or not
   * after `staleBefore` (ISO-8601 strings compare in time order), so instances racing to record a
   * use write once per interval. A revoked key is left alone.
   */
  recordUse(tenant: string, keyId: string, usedAt: string, staleBefore: string): Promise<void>;
}
