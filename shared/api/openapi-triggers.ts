import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { triggerBodySchema } from '../domain/trigger-spec.ts';
import { errors, json, unsupportedMedia } from './openapi.ts';
import { errorSchema, pageQuerySchema, tenantParam } from './schemas.ts';
import {
  backfillBodySchema,
  backfillResultSchema,
  fireResultSchema,
  hookAcceptedSchema,
  hookIdParam,
  triggerIdParam,
  triggerPageSchema,
  triggerViewSchema,
} from './trigger-schemas.ts';

const unavailable = { 503: json(errorSchema, 'The server has no trigger store (TRIGGERS_UNAVAILABLE).') };
const invalid = {
  422: json(
    errorSchema,
    'The trigger is not valid: `path` names the field (`$.schedule`, `$.timezone`, ...).',
  ),
};
const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema }, 'application/yaml': { schema } },
});

/** Documents the trigger routes (see `routes/triggers.ts`, `routes/hooks.ts`) at `/openapi.json`. */
export function documentTriggerRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  const security = [{ apiKey: [] }];
  const tenant = z.object({ tenant: tenantParam });
  const one = tenant.extend({ id: triggerIdParam });
  const path = '/v1/tenants/{tenant}/triggers';
  const onePath = `${path}/{id}`;
  const trigger = (description: string) => json(triggerViewSchema, description);

  registry.registerPath({
    method: 'get',
    path,
    summary: 'List the tenant’s triggers by id',
    security,
    request: { params: tenant, query: pageQuerySchema },
    responses: { 200: json(triggerPageSchema, 'A page'), ...errors, ...unavailable },
  });
  registry.registerPath({
    method: 'put',
    path: onePath,
    summary: 'Create or replace a cron or webhook trigger',
    description:
      'A new webhook trigger’s answer holds its `secret` once. Replacing a webhook trigger keeps its URL and secret; ' +
      'replacing a cron trigger starts its schedule from now.',
    security,
    request: { params: one, body: body(triggerBodySchema) },
    responses: {
      200: trigger('Replaced'),
      201: trigger('Created'),
      ...invalid,
      ...errors,
      ...unsupportedMedia,
      ...unavailable,
    },
  });
  registry.registerPath({
    method: 'get',
    path: onePath,
    summary: 'A trigger, its next 5 fire times and its last firings',
    security,
    request: { params: one },
    responses: { 200: trigger('The trigger'), ...errors, ...unavailable },
  });
  registry.registerPath({
    method: 'delete',
    path: onePath,
    summary: 'Delete a trigger (its runs stay)',
    security,
    request: { params: one },
    responses: { 204: { description: 'Deleted.' }, ...errors, ...unavailable },
  });
  for (const [action, summary] of [
    ['pause', 'Pause a trigger: it keeps its state and does not fire'],
    ['resume', 'Resume a trigger; a cron trigger does not catch up the pause'],
  ] as const) {
    registry.registerPath({
      method: 'post',
      path: `${onePath}/${action}`,
      summary,
      security,
      request: { params: one },
      responses: { 200: trigger('The trigger'), ...errors, ...unavailable },
    });
  }
  registry.registerPath({
    method: 'post',
    path: `${onePath}/fire`,
    summary: 'Fire a trigger now, whatever its overlap policy',
    security,
    request: { params: one },
    responses: {
      202: json(fireResultSchema, 'A run started (or the same second’s run, `duplicate`).'),
      422: json(errorSchema, 'TRIGGER_FAILED: the run could not start; the firing’s error is in GET.'),
      ...errors,
      ...unavailable,
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${onePath}/backfill`,
    summary: 'Replay the scheduled times of a past range (cron)',
    description: 'At most 1000 firings; a time already fired answers `duplicate` and starts nothing.',
    security,
    request: { params: one, body: body(backfillBodySchema) },
    responses: {
      200: json(backfillResultSchema, 'One result per scheduled time, oldest first.'),
      ...invalid,
      ...errors,
      ...unsupportedMedia,
      ...unavailable,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/hooks/{hook}',
    summary: 'Deliver a webhook (public: signed, no API key)',
    description:
      'Standard Webhooks headers (`webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature`), or ' +
      '`X-Hub-Signature-256` when the trigger has `github: true`. A replayed `webhook-id` answers 200 with the first run.',
    // The body is any media type (it is signed as sent, and handed to the template parsed when it
    // is JSON, as text otherwise), so no body schema and no 415.
    request: { params: z.object({ hook: hookIdParam }) },
    responses: {
      202: json(hookAcceptedSchema, 'A run started.'),
      200: json(hookAcceptedSchema, 'A replayed delivery: the first run.'),
      401: json(errorSchema, 'A missing or bad signature (no detail).'),
      404: json(errorSchema, 'No such hook.'),
      409: json(errorSchema, 'TRIGGER_PAUSED.'),
      413: errors[413],
      422: json(errorSchema, 'TRIGGER_FAILED: the delivery could not start a run.'),
      429: errors[429],
      ...unavailable,
    },
  });
}
