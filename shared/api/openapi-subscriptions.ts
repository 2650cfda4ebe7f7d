import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { errors, json, unsupportedMedia } from './openapi.ts';
import { errorSchema, pageQuerySchema, tenantParam } from './schemas.ts';
import {
  deliveryPageSchema,
  putSubscriptionBodySchema,
  subscriptionIdParam,
  subscriptionListSchema,
  subscriptionSchema,
} from './subscription-schemas.ts';

/** Documents the subscription routes (see `routes/subscriptions.ts`) at `/openapi.json`. */
export function documentSubscriptionRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  const security = [{ apiKey: [] }];
  const tenant = z.object({ tenant: tenantParam });
  const path = '/v1/tenants/{tenant}/subscriptions';
  const one = tenant.extend({ id: subscriptionIdParam });

  registry.registerPath({
    method: 'get',
    path,
    summary: 'List the tenant’s event subscriptions, by id',
    security,
    request: { params: tenant },
    responses: { 200: json(subscriptionListSchema, 'Every subscription (at most 100)'), ...errors },
  });
  registry.registerPath({
    method: 'put',
    path: `${path}/{id}`,
    summary: 'Create or replace an event subscription',
    description:
      'Events of this tenant only, whatever the filter: `email` (the address confirms by e-mail), `sqs` (the event JSON as the body) ' +
      'or `https` (POST of `{type, timestamp, data}` signed per Standard Webhooks with the subscription’s secret, retried with backoff for 24 h; ' +
      'the secret is in the 201 answer only, and kept when the subscription is replaced).',
    security,
    request: {
      params: one,
      body: {
        required: true,
        content: {
          'application/json': { schema: putSubscriptionBodySchema },
          'application/yaml': { schema: putSubscriptionBodySchema },
        },
      },
    },
    responses: {
      200: json(subscriptionSchema, 'Replaced.'),
      201: {
        ...json(subscriptionSchema, 'Created; `secret` is shown this once.'),
        headers: {
          Location: { schema: { type: 'string' }, description: '/v1/tenants/{tenant}/subscriptions/{id}' },
        },
      },
      409: json(errorSchema, 'TOO_MANY_SUBSCRIPTIONS: the tenant has 100; delete one first.'),
      ...errors,
      ...unsupportedMedia,
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${path}/{id}`,
    summary: 'Read an event subscription (never its secret)',
    security,
    request: { params: one },
    responses: { 200: json(subscriptionSchema, 'The subscription'), ...errors },
  });
  registry.registerPath({
    method: 'delete',
    path: `${path}/{id}`,
    summary: 'Delete an event subscription',
    security,
    request: { params: one },
    responses: { 204: { description: 'Deleted.' }, ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: `${path}/{id}/deliveries`,
    summary: 'The webhook deliverer’s attempts for an https subscription, newest first',
    description:
      'Kept 7 days. `parked`: given up (24 h of failures, or a URL the SSRF guard refuses), with the body.',
    security,
    request: { params: one, query: pageQuerySchema },
    responses: { 200: json(deliveryPageSchema, 'A page'), ...errors },
  });
}
