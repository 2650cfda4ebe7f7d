import type { Context, MiddlewareHandler } from 'hono';
import { SkeinError } from '../domain/problems.ts';
import { apiKeyFromHeaders } from './api-key-header.ts';
import { errorBody } from './errors.ts';
import { type FailureLimiter, sourceOf } from './failure-limiter.ts';
import type { KeyResolver } from './key-resolver.ts';

export type ApiEnv = { Variables: { tenant: string; keyId: string } };

export interface AuthDeps {
  readonly resolver: KeyResolver;
  /** Failed authentications per client address. */
  readonly limiter: FailureLimiter;
  /** The client's address (see `clientAddress`). */
  readonly clientAddress: (c: Context) => string | undefined;
}

/**
 * Requires an API key (`Authorization: Bearer <key>`, or `X-Api-Key` without `Authorization`:
 * see `api-key-header.ts`). On tenant routes the key's tenant must be the one in the path;
 * another tenant's resources answer 404, never 403, so a key cannot even learn which tenants
 * exist.
 *
 * A client address that sent too many unknown keys gets 429 with `Retry-After` for any key,
 * before the store is read: telling a good key from a guess would take the read the limit
 * exists to prevent. Requests without a key and keys of another tenant are not failures.
 */
export function requireApiKey(deps: AuthDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = apiKeyFromHeaders((name) => c.req.header(name));
    if (!('key' in header)) throw new SkeinError('UNAUTHORIZED', header.message, 'unauthenticated');
    const source = sourceOf(deps.clientAddress(c));
    const wait = deps.limiter.retryAfter(source);
    if (wait > 0) {
      const message = `too many requests with unknown API keys from this address; retry in ${wait} s`;
      return c.json(errorBody('RATE_LIMITED', message), 429, { 'Retry-After': String(wait) });
    }
    const who = await deps.resolver.resolve(header.key);
    if (!who) {
      deps.limiter.fail(source);
      throw new SkeinError(
        'UNAUTHORIZED',
        'the API key is not valid (unknown or revoked); create one with `skein keys create`',
        'unauthenticated',
      );
    }
    const pathTenant = c.req.param('tenant');
    if (pathTenant !== undefined && pathTenant !== who.tenant) {
      throw new SkeinError('NOT_FOUND', `no tenant "${pathTenant}"`, 'not_found');
    }
    c.set('tenant', who.tenant);
    c.set('keyId', who.keyId);
    await next();
  };
}
