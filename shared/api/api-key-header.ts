/**
 * Where a request carries its API key: one rule for the Hono app and the Lambda authorizer.
 *
 * `Authorization` comes first: when it is present it decides, and must be `Bearer <key>`;
 * `X-Api-Key` is read only when there is no `Authorization` header at all. So the header that
 * decides is always the one API Gateway caches the authorizer's answer by (its identity source),
 * and a request can never be authorized by one header and served by another.
 */
export type ApiKeyHeader =
  | { readonly key: string }
  | { readonly problem: 'missing' | 'not-bearer'; readonly message: string };

/**
 * Reads the key of a request from its headers (`header` looks a name up case-insensitively).
 * @example apiKeyFromHeaders((name) => c.req.header(name))
 */
export function apiKeyFromHeaders(header: (name: string) => string | undefined): ApiKeyHeader {
  const authorization = header('authorization')?.trim();
  if (authorization) {
    const key = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    return key
      ? { key }
      : {
          problem: 'not-bearer',
          message: 'the Authorization header must be "Bearer <key>" (it is read before X-Api-Key)',
        };
  }
  const key = header('x-api-key')?.trim();
  return key
    ? { key }
    : {
        problem: 'missing',
        message:
          'send an API key as "Authorization: Bearer <key>" (or "X-Api-Key: <key>" without Authorization)',
      };
}

/** A header lookup over a plain object of headers, ignoring the case of names. */
export function headerLookup(
  headers: Readonly<Record<string, string | undefined>> | undefined,
): (name: string) => string | undefined {
  const lower = new Map(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => lower.get(name.toLowerCase());
}
