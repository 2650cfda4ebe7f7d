import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { apiKeyCreatedSchema, apiKeyPageSchema, createKeyBodySchema, keyIdParam } from './key-schemas.ts';
import { errors, json, unsupportedMedia } from './openapi.ts';
import { errorSchema, pageQuerySchema, tenantParam } from './schemas.ts';

/** Documents the key routes (see `routes/keys.ts`) at `/openapi.json`. */
export function documentKeyRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  const security = [{ apiKey: [] }];
  const tenant = z.object({ tenant: tenantParam });
  const path = '/v1/tenants/{tenant}/keys';

  registry.registerPath({
    method: 'get',
    path,
    summary: 'List the tenant’s API keys, oldest first',
    description: 'Ids, labels and times only: a key is shown once, when it is created, and never its hash.',
    security,
    request: { params: tenant, query: pageQuerySchema },
    responses: { 200: json(apiKeyPageSchema, 'A page'), ...errors },
  });
  registry.registerPath({
    method: 'post',
    path,
    summary: 'Create an API key for the tenant',
    description: 'The key is in the response once; store it then. A tenant has at most 100 keys.',
    security,
    request: {
      params: tenant,
      body: {
        required: false,
        content: {
          'application/json': { schema: createKeyBodySchema },
          'application/yaml': { schema: createKeyBodySchema },
        },
      },
    },
    responses: {
      201: {
        ...json(apiKeyCreatedSchema, 'Created; `Location` is the key.'),
        headers: {
          Location: { schema: { type: 'string' }, description: '/v1/tenants/{tenant}/keys/{keyId}' },
        },
      },
      409: json(errorSchema, 'TOO_MANY_KEYS: the tenant has 100 keys; revoke one first.'),
      ...errors,
      ...unsupportedMedia,
    },
  });
  registry.registerPath({
    method: 'delete',
    path: `${path}/{keyId}`,
    summary: 'Revoke an API key',
    description:
      'The key stops working at once locally; on AWS within 30 seconds (see the README, "API keys"). ' +
      'A key may revoke itself. An unknown id and another tenant’s key are the same 404.',
    security,
    request: { params: tenant.extend({ keyId: keyIdParam }) },
    responses: { 204: { description: 'Revoked.' }, ...errors },
  });
}
