import { Hono } from 'hono';
import { type ApiKeyDeps, createApiKey, listApiKeys, revokeApiKey } from '../../engine/api-keys.ts';
import type { ApiKeySummary } from '../../ports/api-key-store.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readOptionalBody } from '../body.ts';
import type { KeyResolver } from '../key-resolver.ts';
import { createKeyBodySchema } from '../key-schemas.ts';
import { parseQuery } from '../query.ts';
import { pageQuerySchema } from '../schemas.ts';

export interface KeyRouteDeps extends ApiKeyDeps {
  /** Told about revocations, so this process stops trusting a revoked key at once. */
  readonly resolver: KeyResolver;
}

/**
 * A tenant's API keys, mounted at `/v1/tenants/{tenant}/keys`: list (ids, labels, times; never a
 * key or its hash), create (the key is returned once) and revoke. Any key of the tenant may do
 * all three, revoking itself included: whoever holds a leaked key can kill it with that key.
 */
export function keyRoutes(deps: KeyRouteDeps) {
  const app = new Hono<ApiEnv>();

  app.get('/', async (c) => {
    const page = await listApiKeys(deps.apiKeys, c.get('tenant'), parseQuery(pageQuerySchema, c.req.query()));
    const current = c.get('keyId');
    return c.json({
      items: page.items.map((key) => viewOf(key, current)),
      ...(page.cursor && { cursor: page.cursor }),
    });
  });

  app.post('/', async (c) => {
    const tenant = c.get('tenant');
    const { label } = parseBody(createKeyBodySchema, await readOptionalBody(c));
    const { key, record } = await createApiKey(deps, tenant, label);
    c.header('Location', `/v1/tenants/${tenant}/keys/${record.keyId}`);
    const { keyId, createdAt } = record;
    return c.json({ keyId, key, ...(label !== undefined && { label }), createdAt }, 201);
  });

  app.delete('/:keyId', async (c) => {
    const keyId = c.req.param('keyId');
    await revokeApiKey(deps.apiKeys, c.get('tenant'), keyId);
    deps.resolver.forget(keyId);
    return c.body(null, 204);
  });

  return app;
}

function viewOf(key: ApiKeySummary, current: string) {
  const { keyId, label, createdAt, lastUsedAt } = key;
  return {
    keyId,
    ...(label !== undefined && { label }),
    createdAt,
    ...(lastUsedAt !== undefined && { lastUsedAt }),
    current: keyId === current,
  };
}
