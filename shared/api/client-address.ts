import { getConnInfo as nodeConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { getConnInfo as lambdaConnInfo } from 'hono/aws-lambda';

/**
 * The address a request came from, as the transport saw it: API Gateway's `sourceIp` on Lambda,
 * the socket's remote address under `@hono/node-server`. Never `X-Forwarded-For`, which any
 * client can set. Undefined when the app runs without either (`app.request` in tests).
 * @example sourceOf(clientAddress(c)) // '203.0.113.7'
 */
export function clientAddress(c: Context): string | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null) return undefined;
  try {
    if ('requestContext' in env) return lambdaConnInfo(c).remote.address;
    if ('incoming' in env || 'server' in env) return nodeConnInfo(c).remote.address;
  } catch {
    // A transport that looks like one of these but lacks the fields: no address.
  }
  return undefined;
}
