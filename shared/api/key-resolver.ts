import { hashApiKey, looksLikeApiKey } from '../engine/api-keys.ts';
import type { ApiKeyStore } from '../ports/api-key-store.ts';
import type { Clock } from '../ports/clock.ts';

/** Who a key is: its tenant and its id. */
export interface ResolvedKey {
  readonly tenant: string;
  readonly keyId: string;
}

/** Resolves API keys, possibly from a cache. */
export interface KeyResolver {
  /** The key's tenant and id, or undefined for an unknown (or revoked) key. */
  resolve(key: string): Promise<ResolvedKey | undefined>;
  /** Drops what this process remembers of a key, e.g. right after it revoked it. */
  forget(keyId: string): void;
}

export interface KeyResolverOptions {
  readonly clock: Clock;
  /**
   * How long a found key is trusted without reading the store again. Unknown keys are never
   * cached (the failure limiter deals with guessing).
   * @default 0: every call reads the store, so a revoked key fails at once
   */
  readonly cacheTtlMs?: number;
  /**
   * Record a key's use (`lastUsedAt`) at most this often per key and process; the store skips
   * the write when another process recorded one within the interval.
   * @default never: the authorizer may only read the table
   */
  readonly recordUseEveryMs?: number;
  /** Keys (and key uses) remembered at most. @default 10_000 */
  readonly maxEntries?: number;
  /** Where a failed use record is reported; it never fails the request. */
  readonly log?: (message: string, error: unknown) => void;
}

/** How long the API function on AWS trusts a found key: the bound on revocation there. */
export const AWS_KEY_CACHE_MS = 30_000;
/** `lastUsedAt` is written at most once per key per this interval (and per process). */
export const RECORD_USE_EVERY_MS = 5 * 60_000;

/**
 * Resolves keys against the store, with an optional bounded cache of found keys and an optional,
 * throttled record of their use.
 * @example
 * const resolver = keyResolver(apiKeys, { clock, cacheTtlMs: AWS_KEY_CACHE_MS, recordUseEveryMs: RECORD_USE_EVERY_MS });
 * const who = await resolver.resolve(key); // { tenant, keyId } or undefined
 */
export function keyResolver(apiKeys: ApiKeyStore, options: KeyResolverOptions): KeyResolver {
  const { clock, cacheTtlMs = 0, recordUseEveryMs, maxEntries = 10_000 } = options;
  const log = options.log ?? ((message: string, error: unknown) => console.error(message, error));
  const found = new Map<string, { key: ResolvedKey; until: number }>();
  const recorded = new Map<string, number>();

  const recordUse = async (key: ResolvedKey, now: number, every: number) => {
    const last = recorded.get(key.keyId);
    if (last !== undefined && now - last < every) return;
    remember(recorded, key.keyId, now, maxEntries);
    const iso = (ms: number) => new Date(ms).toISOString();
    try {
      await apiKeys.recordUse(key.tenant, key.keyId, iso(now), iso(now - every));
    } catch (error) {
      log('skein: recording the use of an API key failed; the request goes on', error);
    }
  };

  return {
    async resolve(key) {
      if (!looksLikeApiKey(key)) return undefined;
      const now = clock.now();
      const hash = hashApiKey(key);
      const cached = found.get(hash);
      if (cached !== undefined && cached.until <= now) found.delete(hash);
      let who = cached !== undefined && cached.until > now ? cached.key : undefined;
      if (who === undefined) {
        const record = await apiKeys.getByHash(hash);
        if (record === undefined) return undefined;
        who = { tenant: record.tenant, keyId: record.keyId };
        if (cacheTtlMs > 0) remember(found, hash, { key: who, until: now + cacheTtlMs }, maxEntries);
      }
      if (recordUseEveryMs !== undefined) await recordUse(who, now, recordUseEveryMs);
      return who;
    },
    forget(keyId) {
      for (const [hash, entry] of found) if (entry.key.keyId === keyId) found.delete(hash);
      recorded.delete(keyId);
    },
  };
}

/** Sets an entry as the most recent one, dropping the oldest beyond `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
