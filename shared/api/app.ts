import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../domain/limits.ts';
import { SkeinError } from '../domain/problems.ts';
import { parseSource } from '../domain/source.ts';
import { validateParsed } from '../domain/validate.ts';
import type { RunEngine } from '../engine/run-engine.ts';
import type { Clock } from '../ports/clock.ts';
import type { DefinitionStore } from '../ports/definition-store.ts';
import { type ApiEnv, type KeyResolver, requireApiKey } from './auth.ts';
import { bodyError, readText } from './body.ts';
import { notFound, onError } from './errors.ts';
import { documentRoutes } from './openapi.ts';
import { documentRunRoutes } from './openapi-runs.ts';
import { runRoutes } from './routes/runs.ts';
import { workflowRoutes } from './routes/workflows.ts';

export interface ApiDeps {
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  readonly resolveKey: KeyResolver;
  /** Shown by `/health`, e.g. "dynamodb" or "memory". */
  readonly storeName: string;
  readonly log?: (message: string, error: unknown) => void;
  /** Starts, reads and controls runs; without it the run routes answer 503 ENGINE_UNAVAILABLE. */
  readonly engine?: RunEngine;
  /** Waits between polls of "start run" with `wait` (real timers by default; tests inject one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The Skein HTTP API as one Hono app: served by Node locally and by the API Lambda on AWS.
 * @example serve({ fetch: createApp(deps).fetch, port: 8080 })
 */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>();
  app.onError(onError(deps.log ?? ((message, error) => console.error(message, error))));
  app.notFound(notFound);
  app.use(
    '*',
    bodyLimit({
      maxSize: LIMITS.maxDefinitionBytes,
      onError: () => {
        throw new SkeinError('TOO_LARGE', `the body is over ${LIMITS.maxDefinitionBytes} bytes (1 MB)`, 413);
      },
    }),
  );

  app.get('/health', (c) =>
    c.json({ status: 'ok', store: deps.storeName, time: new Date(deps.clock.now()).toISOString() }),
  );

  const auth = requireApiKey(deps.resolveKey);
  app.post('/v1/dag/validate', auth, async (c) => {
    // Only a body that does not parse at all is a 400; duplicate keys are part of the result.
    const { text, format } = await readText(c);
    const parsed = parseSource(text, format);
    if (parsed.value === undefined) throw bodyError(parsed.problems);
    const { valid, errors, order } = validateParsed(parsed);
    return c.json({ valid, errors, order });
  });
  app.use('/v1/tenants/:tenant/*', auth);
  app.route('/v1/tenants/:tenant/workflows', workflowRoutes(deps));
  app.route('/v1/tenants/:tenant', runRoutes(deps));

  documentRoutes(app as unknown as OpenAPIHono);
  documentRunRoutes(app as unknown as OpenAPIHono);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Skein API', version: '1.0.0', description: 'Versioned DAG workflows on AWS.' },
  });
  return app;
}
