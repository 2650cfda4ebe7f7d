import type { Context, Hono } from 'hono';
import { NODE_ID } from '../../domain/definition-schema.ts';
import { parseItemId } from '../../domain/map-items.ts';
import { SkeinError } from '../../domain/problems.ts';
import { type CompletionRequest, invalidToken } from '../../engine/complete-node.ts';
import type { RunEngine } from '../../engine/run-engine.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readOptionalBody } from '../body.ts';
import { completeNodeBodySchema, heartbeatBodySchema } from '../callback-schemas.ts';

/**
 * `POST /runs/{run}/nodes/{node}/complete` and `.../heartbeat` on a node waiting for an outside
 * completion (a `callback`). A node id that cannot exist gets the wrong token's 403, so the answer
 * never says whether a node exists.
 */
export function callbackRoutes(
  app: Hono<ApiEnv>,
  engineOf: () => RunEngine,
  runIdOf: (c: Context<ApiEnv>) => string,
): void {
  app.post('/runs/:run/nodes/:node/complete', async (c) => {
    const runId = runIdOf(c);
    const body = parseBody(completeNodeBodySchema, await readOptionalBody(c));
    const hasOutput = 'output' in body && body.output !== undefined;
    if (hasOutput === (body.error !== undefined)) {
      throw new SkeinError(
        'SCHEMA',
        'a completion gives exactly one of output (the node succeeds) or error {code, message} (it fails)',
        'invalid',
        '$',
      );
    }
    const request: CompletionRequest = body.error
      ? { token: body.token, error: body.error }
      : { token: body.token, output: body.output };
    const nodeId = await nodeIdOf(c, engineOf(), runId);
    const accepted = await engineOf().complete(c.get('tenant'), runId, nodeId, request);
    return c.json(accepted, 202);
  });

  app.post('/runs/:run/nodes/:node/heartbeat', async (c) => {
    const runId = runIdOf(c);
    const { token } = parseBody(heartbeatBodySchema, await readOptionalBody(c));
    const nodeId = await nodeIdOf(c, engineOf(), runId);
    return c.json(await engineOf().heartbeat(c.get('tenant'), runId, nodeId, token), 200);
  });
}

/**
 * The node id of the path. One no definition can hold gets the wrong token's 403 (after the run's
 * 404 for another tenant, as for any id), without a node read.
 */
async function nodeIdOf(c: Context<ApiEnv>, engine: RunEngine, runId: string): Promise<string> {
  const nodeId = c.req.param('node') ?? '';
  if (NODE_ID.test(nodeId) || parseItemId(nodeId) !== undefined) return nodeId;
  await engine.getRunRecord(c.get('tenant'), runId);
  throw invalidToken(nodeId.slice(0, 80), runId);
}
