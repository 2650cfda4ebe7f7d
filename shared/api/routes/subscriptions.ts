import { Hono } from 'hono';
import { SkeinError } from '../../domain/problems.ts';
import type { Subscription } from '../../domain/subscriptions.ts';
import {
  deleteSubscription,
  getSubscription,
  listDeliveries,
  putSubscription,
  type SubscriptionDeps,
} from '../../engine/subscriptions.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readBody } from '../body.ts';
import { parseQuery } from '../query.ts';
import { pageQuerySchema } from '../schemas.ts';
import { putSubscriptionBodySchema, SUBSCRIPTION_ID } from '../subscription-schemas.ts';

/**
 * A tenant's event subscriptions, mounted at `/v1/tenants/{tenant}/subscriptions`: list, put
 * (create or replace; an https subscription's signing secret is in the answer that creates it,
 * never again), get, delete, and the webhook deliverer's attempts.
 */
export function subscriptionRoutes(deps: SubscriptionDeps) {
  const app = new Hono<ApiEnv>();

  app.get('/', async (c) => {
    const items = await deps.subscriptions.list(c.get('tenant'));
    return c.json({ items: items.map((item) => viewOf(item)) });
  });

  app.put('/:id', async (c) => {
    const tenant = c.get('tenant');
    const id = idOf(c.req.param('id'));
    const body = parseBody(putSubscriptionBodySchema, await readBody(c));
    const { subscription, created } = await putSubscription(deps, tenant, id, {
      endpoint: body.endpoint,
      filter: body.filter ?? {},
    });
    if (created) c.header('Location', `/v1/tenants/${tenant}/subscriptions/${id}`);
    return c.json(viewOf(subscription, created), created ? 201 : 200);
  });

  app.get('/:id', async (c) => {
    const found = await getSubscription(deps, c.get('tenant'), idOf(c.req.param('id')));
    return c.json(viewOf(found));
  });

  app.delete('/:id', async (c) => {
    await deleteSubscription(deps, c.get('tenant'), idOf(c.req.param('id')));
    return c.body(null, 204);
  });

  app.get('/:id/deliveries', async (c) => {
    const page = parseQuery(pageQuerySchema, c.req.query());
    const found = await listDeliveries(deps, c.get('tenant'), idOf(c.req.param('id')), page);
    return c.json({
      items: found.items.map(({ tenant: _t, subscriptionId: _s, ...attempt }) => attempt),
      ...(found.cursor && { cursor: found.cursor }),
    });
  });

  return app;
}

function idOf(raw: string): string {
  if (SUBSCRIPTION_ID.test(raw)) return raw;
  throw new SkeinError(
    'INVALID_ID',
    `a subscription id is 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit; got ${JSON.stringify(raw.slice(0, 80))}`,
    'invalid',
    '$.id',
  );
}

function viewOf(subscription: Subscription, withSecret = false) {
  const { id, endpoint, filter, secret, createdAt, updatedAt } = subscription;
  return {
    id,
    endpoint,
    filter,
    ...(withSecret && secret !== undefined && { secret }),
    createdAt,
    updatedAt,
  };
}
