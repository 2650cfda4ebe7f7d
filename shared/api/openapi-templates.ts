import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { errors, json, unsupportedMedia } from './openapi.ts';
import { errorSchema, tenantParam } from './schemas.ts';
import {
  generateBodySchema,
  generatedSchema,
  instantiateBodySchema,
  instantiatedSchema,
  templateIdParam,
  templateSchema,
  templateSummarySchema,
} from './template-schemas.ts';

const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema }, 'application/yaml': { schema } },
});

/** Documents the template and generate routes (`routes/templates.ts`, `routes/generate.ts`) at `/openapi.json`. */
export function documentTemplateRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  const security = [{ apiKey: [] }];
  const one = z.object({ id: templateIdParam });

  registry.registerPath({
    method: 'get',
    path: '/v1/templates',
    summary: 'List the built-in workflow templates and their typed variables',
    security,
    responses: { 200: json(z.object({ items: z.array(templateSummarySchema) }), 'The templates'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/templates/{id}',
    summary: 'A template: variables, definition with placeholders, suggested triggers and subscriptions',
    security,
    request: { params: one },
    responses: { 200: json(templateSchema, 'The template'), ...errors },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/tenants/{tenant}/templates/{id}/instantiate',
    summary: 'Fill a template with variables and publish the definition as a version',
    description:
      'Variables are checked like run inputs (type, required, default, enum). The definition is published like ' +
      '`PUT .../workflows/{workflow}/versions/{version}`; suggested triggers and subscriptions are returned, not created.',
    security,
    request: { params: one.extend({ tenant: tenantParam }), body: body(instantiateBodySchema) },
    responses: {
      201: json(instantiatedSchema, 'Published'),
      200: json(instantiatedSchema, 'The identical definition was already published'),
      409: json(errorSchema, 'The version exists with another body, or is not greater than its major line'),
      422: json(
        errorSchema,
        'INVALID_VARIABLES: `path` names the variable (`$.variables.schedule`); `errors` lists every problem',
      ),
      ...errors,
      ...unsupportedMedia,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/tenants/{tenant}/generate',
    summary: 'Write a workflow definition from a prompt with the deployment’s model (never published)',
    description:
      'The model is given the definition’s JSON Schema and the node types this deployment runs; validation ' +
      'errors are fed back for at most 3 repair rounds.',
    security,
    request: { params: z.object({ tenant: tenantParam }), body: body(generateBodySchema) },
    responses: {
      200: json(generatedSchema, 'A valid definition'),
      422: json(
        errorSchema,
        'GENERATION_FAILED: no valid definition after 4 model calls; `errors` holds the last problems. MODEL_NOT_ALLOWED.',
      ),
      501: json(errorSchema, 'AI_UNAVAILABLE: this deployment has no model configured.'),
      502: json(errorSchema, 'AI_MODEL_FAILED: the model could not be called.'),
      504: json(errorSchema, 'GENERATION_TIMEOUT: the model did not answer in time.'),
      ...errors,
      ...unsupportedMedia,
    },
  });
}
