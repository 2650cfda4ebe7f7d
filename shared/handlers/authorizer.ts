import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { apiKeyFromHeaders, headerLookup } from '../api/api-key-header.ts';
import { type FailureLimiter, sourceOf } from '../api/failure-limiter.ts';
import type { KeyResolver } from '../api/key-resolver.ts';

/** What the authorizer passes to the API's integration (`requestContext.authorizer.lambda`). */
export interface AuthorizerContext {
  readonly tenant: string;
  readonly keyId: string;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<
  AuthorizerContext | Record<string, never>
>;

export interface AuthorizerDeps {
  /** `keyResolver(apiKeys, { clock, cacheTtlMs: AWS_KEY_CACHE_MS })`: read-only, bounded cache. */
  readonly resolver: KeyResolver;
  /** Failed authentications per source address, per Lambda instance. */
  readonly limiter: FailureLimiter;
  readonly log?: (message: string, details: unknown) => void;
}

const refused: AuthorizerResult = { isAuthorized: false, context: {} };

/**
 * The HTTP API's Lambda authorizer (payload 2.0, simple responses): reads the API key with the
 * app's rule (`Authorization: Bearer <key>` first, `X-Api-Key` only without it) and answers
 * `{isAuthorized: true, context: {tenant, keyId}}` for a known key. It never throws: no key, an
 * unknown key or a failing key store answer `{isAuthorized: false}` (API Gateway then returns
 * 403), the last one logged.
 *
 * A source address (`requestContext.http.sourceIp`) that sent too many unknown keys is refused
 * without a store read. Simple responses cannot carry a status, so that is a 403 too; API Gateway
 * caches it per identity source (the Authorization header and the source address), so the
 * refusal never reaches the same key used from another address.
 * @example export const handler = createAuthorizerHandler({ resolver, limiter });
 */
export function createAuthorizerHandler(deps: AuthorizerDeps) {
  const log = deps.log ?? ((message: string, details: unknown) => console.error(message, details));
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const header = apiKeyFromHeaders(headerLookup(event.headers));
    if (!('key' in header)) return refused;
    const source = sourceOf(event.requestContext?.http?.sourceIp);
    if (deps.limiter.retryAfter(source) > 0) return refused;
    try {
      const who = await deps.resolver.resolve(header.key);
      if (who) return { isAuthorized: true, context: { tenant: who.tenant, keyId: who.keyId } };
      deps.limiter.fail(source);
      return refused;
    } catch (error) {
      log('skein authorizer: resolving an API key failed; the request is refused', error);
      return refused;
    }
  };
}
