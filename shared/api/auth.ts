import type { MiddlewareHandler } from 'hono';
import { SkeinError } from '../domain/problems.ts';

export type ApiEnv = { Variables: { tenant: string } };

/** Resolves an API key to its tenant (undefined when unknown). */
export type KeyResolver = (key: string) => Promise<string | undefined>;

function keyOf(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  if (apiKeyHeader) return apiKeyHeader.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Requires an API key (`Authorization: Bearer <key>` or `X-Api-Key`). On tenant routes the key's
 * tenant must be the one in the path; another tenant's resources answer 404, never 403, so a key
 * cannot even learn which tenants exist.
 */
export function requireApiKey(resolve: KeyResolver): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = keyOf(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!key) {
      throw new SkeinError(
        'UNAUTHORIZED',
        'send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"',
        401,
      );
    }
    const tenant = await resolve(key);
    if (!tenant)
      throw new SkeinError(
        'UNAUTHORIZED',
        'the API key is not valid; create one with `skein keys create`',
        401,
      );
    const pathTenant = c.req.param('tenant');
    if (pathTenant !== undefined && pathTenant !== tenant) {
      throw new SkeinError('NOT_FOUND', `no tenant "${pathTenant}"`, 404);
    }
    c.set('tenant', tenant);
    await next();
  };
}

/** Caches key lookups for `ttlMs` so a burst of requests costs one store read per key. */
export function cachedResolver(
  resolve: KeyResolver,
  now: () => number,
  ttlMs = 60_000,
  maxEntries = 10_000,
): KeyResolver {
  const cache = new Map<string, { tenant: string | undefined; until: number }>();
  return async (key) => {
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.tenant;
    const tenant = await resolve(key);
    if (cache.size >= maxEntries) cache.clear();
    // Unknown keys are cached briefly too, so guessing keys cannot hammer the store.
    cache.set(key, { tenant, until: now() + (tenant ? ttlMs : Math.min(ttlMs, 5_000)) });
    return tenant;
  };
}
