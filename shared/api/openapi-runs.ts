import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { nodeLogsQuerySchema, nodeLogsSchema } from './log-schemas.ts';
import { errors, json, unsupportedMedia } from './openapi.ts';
import { documentCallbackRoutes } from './openapi-callbacks.ts';
import {
  itemPageQuerySchema,
  itemPageSchema,
  retryBodySchema,
  runListQuerySchema,
  runPageSchema,
  runParam,
  runStartedSchema,
  runStateSchema,
  runViewQuerySchema,
  runViewSchema,
  startRunBodySchema,
} from './run-schemas.ts';
import { errorSchema, tenantParam, workflowParam } from './schemas.ts';

const optionalBody = (schema: z.ZodType) => ({
  required: false,
  content: { 'application/json': { schema }, 'application/yaml': { schema } },
});
const unavailable = { 503: json(errorSchema, 'The server has no run engine (ENGINE_UNAVAILABLE).') };
const runState = (description: string) => json(runStateSchema, description);
const conflict = json(
  errorSchema,
  'RUN_STATE: not allowed in the run’s current state (the message names it).',
);

/** Documents the run routes (see `routes/runs.ts`) at `/openapi.json`. */
export function documentRunRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  const security = [{ apiKey: [] }];
  const tenant = z.object({ tenant: tenantParam });
  const run = tenant.extend({ run: runParam });
  const runPath = '/v1/tenants/{tenant}/runs/{run}';

  registry.registerPath({
    method: 'post',
    path: '/v1/tenants/{tenant}/workflows/{workflow}/runs',
    summary: 'Start a run',
    description:
      'Starts a run pinned to one exact version. An empty body is `{}`. With `wait`, answers 200 with ' +
      'the run (as GET run with `outputs=true`) once it has ended within `wait` seconds; otherwise the run summary: ' +
      '202 when this request created the run, 200 when `idempotencyKey` matched an existing run.',
    security,
    request: {
      params: tenant.extend({ workflow: workflowParam }),
      body: optionalBody(startRunBodySchema),
    },
    responses: {
      202: {
        ...json(runStartedSchema, 'Started; `Location` is the run.'),
        headers: {
          Location: { schema: { type: 'string' }, description: 'The run: /v1/tenants/{tenant}/runs/{run}' },
        },
      },
      200: {
        description:
          'The run ended within `wait` (RunView), or `idempotencyKey` matched an existing run (RunStarted).',
        content: { 'application/json': { schema: z.union([runViewSchema, runStartedSchema]) } },
      },
      409: json(errorSchema, 'IDEMPOTENCY_KEY_REUSED: the key was used for a run of another workflow.'),
      422: json(
        errorSchema,
        'INVALID_INPUTS: the inputs do not match the definition; `errors` lists every problem.',
      ),
      ...errors,
      ...unsupportedMedia,
      ...unavailable,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/tenants/{tenant}/runs',
    summary: 'List runs, newest first',
    security,
    request: { params: tenant, query: runListQuerySchema },
    responses: { 200: json(runPageSchema, 'A page'), ...errors, ...unavailable },
  });
  registry.registerPath({
    method: 'get',
    path: runPath,
    summary: 'A run: its progress and a page of its nodes',
    description:
      'Progress counts every node; `nodes` holds one page in definition order (`limit`, default 100), ' +
      'without outputs unless `outputs=true`; `nodesCursor` is there while more nodes follow.',
    security,
    request: { params: run, query: runViewQuerySchema },
    responses: { 200: json(runViewSchema, 'The run'), ...errors, ...unavailable },
  });
  registry.registerPath({
    method: 'get',
    path: `${runPath}/nodes/{node}/items`,
    summary: 'A page of the items of a map node',
    description:
      'Each item of the map’s latest start, in index order: its value (`item`), status, attempts, output ' +
      'and error. `cursor` is there while more items follow. 404 when the node is not a map of the run.',
    security,
    request: { params: run.extend({ node: z.string() }), query: itemPageQuerySchema },
    responses: { 200: json(itemPageSchema, 'A page of items'), ...errors, ...unavailable },
  });
  registry.registerPath({
    method: 'get',
    path: `${runPath}/nodes/{node}/logs`,
    summary: 'What a script node printed in one attempt',
    description:
      'The lines of `console.log|info|warn|error|debug` (JavaScript) or `print` (Lua) of attempt `attempt` ' +
      '(default: the latest), at most 64 KB (`truncated` then, the last line saying so), secrets masked as `***`. ' +
      'A node that printed nothing has no lines. 404 `NODE_NOT_FOUND` or `ATTEMPT_NOT_FOUND`.',
    security,
    request: { params: run.extend({ node: z.string() }), query: nodeLogsQuerySchema },
    responses: { 200: json(nodeLogsSchema, 'The attempt’s lines'), ...errors, ...unavailable },
  });
  const controls = [
    ['pause', 'Pause a running run: running nodes finish, nothing new starts until resumed'],
    ['resume', 'Resume a paused run'],
    ['cancel', 'Cancel a running, paused or queued run'],
  ] as const;
  for (const [action, summary] of controls) {
    registry.registerPath({
      method: 'post',
      path: `${runPath}/${action}`,
      summary,
      security,
      request: { params: run },
      responses: {
        200: runState('The run’s new state'),
        ...(action === 'cancel'
          ? { 202: runState('CANCELLED; nodes are still being marked in the background (`control`)') }
          : {}),
        409: conflict,
        ...errors,
        ...unavailable,
      },
    });
  }
  registry.registerPath({
    method: 'post',
    path: `${runPath}/retry`,
    summary: 'Retry a failed, cancelled or timed-out run',
    description:
      'Reruns the named nodes (or every FAILED or CANCELLED one) and everything downstream; the others keep their outputs. A retry of a run whose retry is still pending goes on with that retry.',
    security,
    request: { params: run, body: optionalBody(retryBodySchema) },
    responses: {
      200: runState('The run is RUNNING again'),
      202: runState('QUEUED: a large run is reset in the background; `control` shows the progress'),
      409: conflict,
      422: json(errorSchema, 'UNKNOWN_NODE: a named node is not in the workflow (`path` is `$.nodes[i]`).'),
      ...errors,
      ...unsupportedMedia,
      ...unavailable,
    },
  });
  documentCallbackRoutes(registry, run, runPath, unavailable);
}
