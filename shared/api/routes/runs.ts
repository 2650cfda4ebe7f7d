import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { NotFoundError, SkeinError } from '../../domain/problems.ts';
import { assertWorkflowId } from '../../engine/publish-definition.ts';
import type { RunEngine } from '../../engine/run-engine.ts';
import { controlView } from '../../engine/run-view.ts';
import { type RunRecord, TERMINAL_RUN_STATUSES } from '../../ports/run-store.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readOptionalBody } from '../body.ts';
import { errorBody } from '../errors.ts';
import { nodeLogsQuerySchema } from '../log-schemas.ts';
import { parseQuery } from '../query.ts';
import {
  DEFAULT_NODE_PAGE,
  itemPageQuerySchema,
  retryBodySchema,
  runListQuerySchema,
  runViewQuerySchema,
  startRunInputSchema,
} from '../run-schemas.ts';
import { callbackRoutes } from './callbacks.ts';

export interface RunRouteDeps {
  /** Absent while a deployment has no engine wired: the run routes then answer 503. */
  readonly engine?: RunEngine | undefined;
  /** Waits between polls of a start with `wait`. @default real timers (setTimeout) */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** How often a start with `wait` reads the run item. */
export const POLL_INTERVAL_MS = 100;

/** A start with `wait` answers this long before the API function would time out. */
export const WAIT_MARGIN_MS = 1_500;

const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs of a tenant, mounted at `/v1/tenants/{tenant}`: start (`POST /workflows/{wf}/runs`), list,
 * read, the controls pause, resume, cancel and retry, and a waiting callback's complete and heartbeat.
 */
export function runRoutes(deps: RunRouteDeps) {
  const app = new Hono<ApiEnv>();
  const sleep = deps.sleep ?? realSleep;
  const engineOf = (): RunEngine => deps.engine as RunEngine;
  const available: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (!deps.engine) {
      return c.json(
        errorBody('ENGINE_UNAVAILABLE', 'runs are not available on this server: it has no run engine'),
        503,
      );
    }
    await next();
  };
  for (const path of ['/workflows/:workflow/runs', '/runs', '/runs/*']) app.use(path, available);

  app.post('/workflows/:workflow/runs', async (c) => {
    const tenant = c.get('tenant');
    const workflow = c.req.param('workflow');
    assertWorkflowId(workflow);
    const body = parseBody(startRunInputSchema, await readOptionalBody(c));
    const { wait, ...request } = body;
    const { run, created } = await engineOf()
      .startRun({ tenant, workflow, ...request })
      .catch((error: unknown) => {
        throw asUnprocessable(error);
      });
    c.header('Location', `/v1/tenants/${tenant}/runs/${run.runId}`);
    if (wait !== undefined) {
      const latest = await pollUntilEnded(engineOf(), run, waitBudgetMs(wait, c), sleep, c);
      if (isEnded(latest)) return c.json(await engineOf().getRun(tenant, run.runId, FIRST_PAGE), 200);
      return c.json(startedOf(latest, created), created ? 202 : 200);
    }
    return c.json(startedOf(run, created), created ? 202 : 200);
  });

  app.get('/runs', async (c) => {
    const query = parseQuery(runListQuerySchema, c.req.query());
    const page = await engineOf().listRuns(c.get('tenant'), query);
    return c.json({ items: page.items.map(summaryOf), ...(page.cursor && { cursor: page.cursor }) });
  });

  app.get('/runs/:run', async (c) => {
    const runId = runIdOf(c);
    const { limit, cursor, outputs } = parseQuery(runViewQuerySchema, c.req.query());
    const options = {
      limit: limit ?? DEFAULT_NODE_PAGE,
      outputs: outputs === 'true',
      ...(cursor && { cursor }),
    };
    return c.json(await engineOf().getRun(c.get('tenant'), runId, options));
  });

  app.get('/runs/:run/nodes/:node/items', async (c) => {
    const runId = runIdOf(c);
    const { limit, cursor } = parseQuery(itemPageQuerySchema, c.req.query());
    const options = { ...(limit && { limit }), ...(cursor && { cursor }) };
    return c.json(await engineOf().getItems(c.get('tenant'), runId, c.req.param('node') ?? '', options));
  });

  app.get('/runs/:run/nodes/:node/logs', async (c) => {
    const runId = runIdOf(c);
    const { attempt } = parseQuery(nodeLogsQuerySchema, c.req.query());
    return c.json(await engineOf().getNodeLogs(c.get('tenant'), runId, c.req.param('node') ?? '', attempt));
  });

  app.post('/runs/:run/:action{pause|resume|cancel}', async (c) => {
    const action = c.req.param('action') as 'pause' | 'resume' | 'cancel';
    const run = await engineOf()[action](c.get('tenant'), runIdOf(c));
    return c.json(stateOf(run), run.control ? 202 : 200);
  });
  app.post('/runs/:run/retry', async (c) => {
    const runId = runIdOf(c);
    const { nodes } = parseBody(retryBodySchema, await readOptionalBody(c));
    const run = await engineOf().retry(c.get('tenant'), runId, nodes);
    return c.json(stateOf(run), run.control ? 202 : 200);
  });
  callbackRoutes(app, engineOf, runIdOf);

  return app;
}

/** A run id that cannot exist (wrong characters, too long) is a 404 without touching the store. */
function runIdOf(c: Context<ApiEnv>): string {
  const runId = c.req.param('run') ?? '';
  if (!RUN_ID.test(runId))
    throw new NotFoundError(`run ${JSON.stringify(runId.slice(0, 140))} does not exist`);
  return runId;
}

/**
 * The time a start may wait: what the client asked for, cut to what the API function has left
 * (minus a margin) on Lambda, so the client gets the run id instead of a timeout it would retry.
 */
function waitBudgetMs(wait: number, c: Context<ApiEnv>): number {
  const env = c.env as { lambdaContext?: { getRemainingTimeInMillis?: () => number } } | undefined;
  const remaining = env?.lambdaContext?.getRemainingTimeInMillis?.();
  return remaining === undefined
    ? wait * 1000
    : Math.min(wait * 1000, Math.max(0, remaining - WAIT_MARGIN_MS));
}

/** What a start with `wait` returns once the run ended: the first page of nodes, with outputs. */
const FIRST_PAGE = { limit: DEFAULT_NODE_PAGE, outputs: true };

const isEnded = (run: RunRecord) => TERMINAL_RUN_STATUSES.includes(run.status);

/**
 * Reads the run item every POLL_INTERVAL_MS until the run has ended, `waitMs` have passed (by
 * the time slept or the real time spent, whichever is greater) or the client went away.
 */
async function pollUntilEnded(
  engine: RunEngine,
  started: RunRecord,
  waitMs: number,
  sleep: (ms: number) => Promise<void>,
  c: Context<ApiEnv>,
): Promise<RunRecord> {
  const begin = performance.now();
  let slept = 0;
  let run = started;
  for (;;) {
    if (isEnded(run)) return run;
    const left = waitMs - Math.max(slept, performance.now() - begin);
    if (left <= 0 || c.req.raw.signal?.aborted) return run;
    const pause = Math.min(POLL_INTERVAL_MS, left);
    await sleep(pause);
    slept += pause;
    run = await engine.getRunRecord(run.tenant, run.runId);
  }
}

/** Rejected run inputs are a 422 (like an invalid definition), every problem in `errors`. */
function asUnprocessable(error: unknown): unknown {
  if (error instanceof SkeinError && error.code === 'INVALID_INPUTS' && error.kind === 'invalid') {
    return new SkeinError(error.code, error.message, 'unprocessable', error.path, error.details);
  }
  return error;
}

/** A run's state after a control: 202 with `control` while it goes on in the background. */
function stateOf(run: RunRecord) {
  const { runId, status } = run;
  return { runId, status, ...(run.control && { control: controlView(run.control) }) };
}

function startedOf(run: RunRecord, created: boolean) {
  const { runId, status, workflow, version } = run;
  return { runId, status, workflow, version, created };
}

function summaryOf(run: RunRecord) {
  const { runId, workflow, version, status, createdAt, endedAt, error } = run;
  return {
    runId,
    workflow,
    version,
    status,
    createdAt,
    ...(endedAt !== undefined && { endedAt }),
    ...(error !== undefined && { error }),
  };
}
