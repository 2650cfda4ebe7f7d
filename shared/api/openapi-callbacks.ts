import type { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';
import {
  completeNodeBodySchema,
  completionAcceptedSchema,
  heartbeatBodySchema,
  nodeParam,
} from './callback-schemas.ts';
import { errors, json, unsupportedMedia } from './openapi.ts';
import { errorSchema } from './schemas.ts';

type Registry = OpenAPIHono['openAPIRegistry'];

const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema }, 'application/yaml': { schema } },
});
const forbidden = json(
  errorSchema,
  'CALLBACK_TOKEN_INVALID: the token does not complete that node (the same answer whether or not the node exists).',
);
const completed = json(
  errorSchema,
  'CALLBACK_ALREADY_COMPLETED: the node no longer waits (completed, timed out, cancelled, or its run ended).',
);

/** Documents `routes/callbacks.ts`: completing and heartbeating a waiting callback node. */
export function documentCallbackRoutes(
  registry: Registry,
  run: z.ZodObject,
  runPath: string,
  unavailable: Record<number, unknown>,
): void {
  const params = run.extend({ node: nodeParam });
  registry.registerPath({
    method: 'post',
    path: `${runPath}/nodes/{node}/complete`,
    summary: 'Complete a callback node waiting for its token',
    description:
      'Gives exactly one of `output` (the node SUCCEEDS with it) or `error` (it FAILS, retried when its `retryOn` names the code). Exactly once: a second completion is 409. The node settles through the engine shortly after the 202.',
    security: [{ apiKey: [] }],
    request: { params, body: body(completeNodeBodySchema) },
    responses: {
      202: json(completionAcceptedSchema, 'Accepted: the node settles with it'),
      403: forbidden,
      409: completed,
      422: json(
        errorSchema,
        'OUTPUT_TOO_LARGE / OUTPUT_TOO_DEEP: the output is over the node output limits.',
      ),
      ...errors,
      ...unsupportedMedia,
      ...unavailable,
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${runPath}/nodes/{node}/heartbeat`,
    summary: 'Extend a waiting callback node’s deadline by its timeout',
    security: [{ apiKey: [] }],
    request: { params, body: body(heartbeatBodySchema) },
    responses: {
      200: json(completionAcceptedSchema, 'The node’s new deadline'),
      403: forbidden,
      409: completed,
      ...errors,
      ...unsupportedMedia,
      ...unavailable,
    },
  });
}
