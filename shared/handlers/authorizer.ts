import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import type { KeyResolver } from '../api/auth.ts';

/** What the authorizer passes to the API's integration (`requestContext.authorizer.lambda`). */
export interface AuthorizerContext {
  readonly tenant: string;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<
  AuthorizerContext | Record<string, never>
>;

export interface AuthorizerDeps {
  /** `cachedResolver((key) => resolveApiKey(apiKeys, key), clock.now)`. */
  readonly resolveKey: KeyResolver;
  readonly log?: (message: string, details: unknown) => void;
}

/**
 * The HTTP API's Lambda authorizer (payload 2.0, simple responses): reads the API key from
 * `X-Api-Key` or `Authorization: Bearer <key>` and answers `{isAuthorized: true, context:
 * {tenant}}` for a known key. It never throws: no key, an unknown key or a failing key store
 * answer `{isAuthorized: false}` (API Gateway then returns 403), the last one logged.
 * @example export const handler = createAuthorizerHandler({ resolveKey });
 */
export function createAuthorizerHandler(deps: AuthorizerDeps) {
  const log = deps.log ?? ((message: string, details: unknown) => console.error(message, details));
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const key = keyOf(event);
    if (key === undefined) return { isAuthorized: false, context: {} };
    try {
      const tenant = await deps.resolveKey(key);
      return tenant ? { isAuthorized: true, context: { tenant } } : { isAuthorized: false, context: {} };
    } catch (error) {
      log('skein authorizer: resolving an API key failed; the request is refused', error);
      return { isAuthorized: false, context: {} };
    }
  };
}

/**
 * The key in `Authorization: Bearer <key>`, else in `X-Api-Key` (header names in any case).
 * Authorization first: API Gateway caches the answer by that header (the identity source).
 */
function keyOf(event: APIGatewayRequestAuthorizerEventV2): string | undefined {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization?.trim() ?? '');
  return match?.[1] ?? (headers['x-api-key']?.trim() || undefined);
}
