import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { definitionSchema } from '../domain/definition-schema.ts';
import {
  dependencySchema,
  dependentSchema,
  errorSchema,
  pageQuerySchema,
  publishedSchema,
  publishQuerySchema,
  tenantParam,
  validationResultSchema,
  versionParam,
  versionSummarySchema,
  workflowParam,
  workflowSummarySchema,
} from './schemas.ts';

export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
/** A route that reads a body also refuses one that is neither JSON nor YAML. */
export const unsupportedMedia = {
  415: json(errorSchema, 'UNSUPPORTED_MEDIA_TYPE: the body is neither JSON nor YAML.'),
};
export const errors = {
  400: json(errorSchema, 'Bad request: the message says what to fix and `path` where.'),
  401: json(errorSchema, 'Missing or unknown API key.'),
  404: json(errorSchema, 'Not found (also for another tenant’s resources).'),
  // The body limit applies to every route, whether it reads a body or not.
  413: json(errorSchema, 'TOO_LARGE: the body is over 1 MB.'),
  429: {
    ...json(errorSchema, 'RATE_LIMITED: too many unknown API keys from this address.'),
    headers: { 'Retry-After': { schema: { type: 'integer' as const }, description: 'Seconds to wait.' } },
  },
};
const definitionRef = { $ref: '#/components/schemas/WorkflowDefinition' };
const definitionBody = {
  required: true,
  content: { 'application/json': { schema: definitionRef }, 'application/yaml': { schema: definitionRef } },
};

/**
 * The definition schema is recursive (a map node holds a node), which zod-to-openapi cannot walk;
 * zod's own JSON Schema output handles it, so its `$defs` become OpenAPI components.
 */
function registerDefinitionSchema(registry: OpenAPIHono['openAPIRegistry']): void {
  const { $defs = {}, $schema: _dialect, ...root } = z.toJSONSchema(definitionSchema, { io: 'input' });
  const toComponents = (schema: unknown) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/'));
  registry.registerComponent('schemas', 'WorkflowDefinition', toComponents(root));
  for (const [name, schema] of Object.entries($defs))
    registry.registerComponent('schemas', name, toComponents(schema));
}
const workflowPath = '/v1/tenants/{tenant}/workflows/{workflow}';

/**
 * Documents every route at `/openapi.json`. Routes are plain Hono handlers (bodies may be YAML, so
 * they are parsed and validated by the domain); the documentation is generated from the same zod
 * schemas they use.
 */
export function documentRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  registerDefinitionSchema(registry);
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });
  const security = [{ apiKey: [] }];
  const params = z.object({ tenant: tenantParam, workflow: workflowParam });

  registry.registerPath({
    method: 'get',
    path: '/health',
    summary: 'Liveness and the store in use',
    responses: { 200: json(z.object({ status: z.literal('ok') }).passthrough(), 'Healthy') },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/dag/validate',
    summary: 'Validate a definition and return its execution order',
    security,
    request: { body: definitionBody },
    responses: {
      200: json(validationResultSchema, 'Validation result (valid or not)'),
      ...errors,
      ...unsupportedMedia,
    },
  });
  registry.registerPath({
    method: 'put',
    path: `${workflowPath}/versions/{version}`,
    summary: 'Publish an immutable version',
    security,
    request: {
      params: params.extend({ version: versionParam }),
      query: publishQuerySchema,
      body: definitionBody,
    },
    responses: {
      201: json(publishedSchema, 'Published'),
      200: json(publishedSchema, 'The identical body was already published'),
      409: json(
        errorSchema,
        'The version exists with another body, is not greater than its major line, or would break a published caller (CONTRACT_BREAK)',
      ),
      422: json(
        errorSchema,
        'The definition is invalid, calls a workflow it cannot use, or (strict) uses a node type this deployment does not run; `errors` lists every problem',
      ),
      ...errors,
      ...unsupportedMedia,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/tenants/{tenant}/workflows',
    summary: 'List workflows',
    security,
    request: { params: z.object({ tenant: tenantParam }), query: pageQuerySchema },
    responses: {
      200: json(z.object({ items: z.array(workflowSummarySchema), cursor: z.string().optional() }), 'A page'),
      ...errors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: workflowPath,
    summary: 'A workflow and its newest versions',
    security,
    request: { params },
    responses: {
      200: json(
        workflowSummarySchema.extend({
          versions: z.array(versionSummarySchema),
          dependents: z.array(dependentSchema).meta({
            description:
              'Published versions of other workflows that call this one, and the range each accepts.',
          }),
          runs: z
            .object({
              started: z.number(),
              succeeded: z.number(),
              failed: z.number(),
              cancelled: z.number(),
              timed_out: z.number(),
            })
            .optional()
            .meta({
              description: 'Runs started and ended by status, counted by the monitor (at least once).',
            }),
        }),
        'The workflow',
      ),
      ...errors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${workflowPath}/versions`,
    summary: 'List versions, newest first',
    security,
    request: { params, query: pageQuerySchema },
    responses: {
      200: json(z.object({ items: z.array(versionSummarySchema), cursor: z.string().optional() }), 'A page'),
      ...errors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${workflowPath}/versions/{version}`,
    summary: 'One version with its definition',
    security,
    request: { params: params.extend({ version: versionParam }) },
    responses: {
      200: json(
        versionSummarySchema.extend({
          workflowId: z.string(),
          dependencies: z
            .array(dependencySchema)
            .meta({ description: 'The workflows this version calls, with the range each accepts.' }),
          definition: z
            .record(z.string(), z.unknown())
            .meta({ description: 'The definition (WorkflowDefinition).' }),
        }),
        'The published version',
      ),
      ...errors,
    },
  });
}
