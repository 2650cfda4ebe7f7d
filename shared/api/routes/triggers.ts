import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { triggerBodySchema } from '../../domain/trigger-spec.ts';
import { backfill } from '../../engine/triggers/cron-tick.ts';
import type { TriggerDeps } from '../../engine/triggers/deps.ts';
import { fireNow } from '../../engine/triggers/fire.ts';
import {
  deleteTrigger,
  getTrigger,
  listTriggers,
  ownTrigger,
  putTrigger,
  setEnabled,
} from '../../engine/triggers/manage.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readBody } from '../body.ts';
import { errorBody } from '../errors.ts';
import { parseQuery } from '../query.ts';
import { pageQuerySchema } from '../schemas.ts';
import { backfillBodySchema } from '../trigger-schemas.ts';

/**
 * A tenant's triggers, mounted at `/v1/tenants/{tenant}/triggers`: create or replace (PUT), read
 * (next fire times, last firings), list, delete, pause, resume, fire now, and backfill a range.
 * Without trigger deps (no engine or no trigger store) every route answers 503.
 */
export function triggerRoutes(deps: { readonly triggers?: TriggerDeps | undefined }) {
  const app = new Hono<ApiEnv>();
  const available: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (!deps.triggers) {
      return c.json(errorBody('TRIGGERS_UNAVAILABLE', 'triggers are not available on this server'), 503);
    }
    await next();
  };
  app.use('*', available);
  const t = () => deps.triggers as TriggerDeps;
  const id = (c: Context) => c.req.param('id') ?? '';

  app.get('/', async (c) =>
    c.json(await listTriggers(t(), c.get('tenant'), parseQuery(pageQuerySchema, c.req.query()))),
  );

  app.put('/:id', async (c) => {
    const body = parseBody(triggerBodySchema, await readBody(c));
    const { view, created, secret } = await putTrigger(t(), c.get('tenant'), id(c), body);
    return c.json({ ...view, ...(secret && { secret }) }, created ? 201 : 200);
  });

  app.get('/:id', async (c) => c.json(await getTrigger(t(), c.get('tenant'), id(c))));

  app.delete('/:id', async (c) => {
    await deleteTrigger(t(), c.get('tenant'), id(c));
    return c.body(null, 204);
  });

  app.post('/:id/pause', async (c) => c.json(await setEnabled(t(), c.get('tenant'), id(c), false)));
  app.post('/:id/resume', async (c) => c.json(await setEnabled(t(), c.get('tenant'), id(c), true)));

  app.post('/:id/fire', async (c) => {
    const record = await ownTrigger(t(), c.get('tenant'), id(c));
    const result = await fireNow(t(), record);
    return c.json(result, result.outcome === 'failed' ? 422 : 202);
  });

  app.post('/:id/backfill', async (c) => {
    const body = parseBody(backfillBodySchema, await readBody(c));
    const firings = await backfill(t(), c.get('tenant'), id(c), {
      from: body.from,
      to: body.to,
      ...(body.overlap && { overlap: body.overlap }),
    });
    return c.json({ firings });
  });

  return app;
}
