import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { type ApiDeps, createApp } from '../api/app.ts';

/**
 * The API function's handler: the Hono app (`createApp`) behind API Gateway's HTTP API
 * (payload format 2.0, `$default` stage, so paths carry no stage prefix). The app still checks
 * the API key on `/v1` routes (the authorizer's answer is cached by API Gateway for 60 s; the
 * app trusts a found key for `keyCacheMs`), so tenant isolation does not depend on how the
 * routes are wired, and a revoked key is refused once the app's cache entry expires.
 * @example export const handler = createApiHandler({ definitions, engine, clock, apiKeys, ids, keyCacheMs: 30_000, storeName: 'dynamodb' });
 */
export function createApiHandler(deps: ApiDeps) {
  const serve = handle(createApp(deps));
  type HonoEvent = Parameters<typeof serve>[0];
  // API Gateway leaves `body` out of requests without one, and `authorizer` out of routes without
  // one; Hono's own event type (not @types/aws-lambda's) wants them present.
  return (event: APIGatewayProxyEventV2, context?: Context) =>
    serve({ ...event, body: event.body ?? null } as unknown as HonoEvent, context);
}
