import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../domain/limits.ts';
import { SkeinError } from '../domain/problems.ts';
import { parseSource } from '../domain/source.ts';
import { validateParsed } from '../domain/validate.ts';
import type { RunEngine } from '../engine/run-engine.ts';
import type { SubscriptionDeps } from '../engine/subscriptions.ts';
import type { TriggerDeps } from '../engine/triggers/deps.ts';
import { NODE_TYPES_RUN } from '../executors/node-types.ts';
import type { EventHub } from '../monitor/event-hub.ts';
import type { AiModels } from '../ports/ai-models.ts';
import type { ApiKeyStore } from '../ports/api-key-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { DefinitionStore } from '../ports/definition-store.ts';
import type { EventLog } from '../ports/event-log.ts';
import type { Ids } from '../ports/ids.ts';
import type { RunCounters } from '../ports/run-counters.ts';
import { type ApiEnv, requireApiKey } from './auth.ts';
import { bodyError, readText } from './body.ts';
import { clientAddress } from './client-address.ts';
import { drainUnreadBody } from './connection.ts';
import { notFound, onError } from './errors.ts';
import { FailureLimiter, type FailureLimitOptions } from './failure-limiter.ts';
import { keyResolver, RECORD_USE_EVERY_MS } from './key-resolver.ts';
import { documentRoutes } from './openapi.ts';
import { documentEventRoutes } from './openapi-events.ts';
import { documentKeyRoutes } from './openapi-keys.ts';
import { documentRunRoutes } from './openapi-runs.ts';
import { documentSubscriptionRoutes } from './openapi-subscriptions.ts';
import { documentTemplateRoutes } from './openapi-templates.ts';
import { documentTriggerRoutes } from './openapi-triggers.ts';
import { documentUiRoutes } from './openapi-ui.ts';
import { eventRoutes } from './routes/events.ts';
import { generateRoutes } from './routes/generate.ts';
import { hookRoutes } from './routes/hooks.ts';
import { keyRoutes } from './routes/keys.ts';
import { runRoutes } from './routes/runs.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { instantiateRoutes, templateRoutes } from './routes/templates.ts';
import { triggerRoutes } from './routes/triggers.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { type UiAssets, uiRoutes } from './ui-routes.ts';

export interface ApiDeps {
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  /** API keys: checked on every `/v1` route, and listed, created and revoked by the key routes. */
  readonly apiKeys: ApiKeyStore;
  /** Each worker pool's function timeout: publishing refuses nodes longer than their pool can run. */
  readonly poolTimeoutsMs?: Readonly<Record<string, number>> | undefined;
  /**
   * The node types the deployment's workers run and the deployment's name: publishing warns about
   * (or with `?strict=true` refuses) a definition using another. Absent: not checked.
   */
  readonly nodeTypes?: { readonly types: readonly string[]; readonly where: string } | undefined;
  /** Ids and secrets of keys created through the API. */
  readonly ids: Ids;
  /**
   * How long a found key is trusted without reading the store again (per process).
   * @default 0: every request reads the store, so a revoked key fails at once (local mode)
   */
  readonly keyCacheMs?: number;
  /** The limit on failed authentications per client address. @default DEFAULT_FAILURE_LIMIT */
  readonly authFailures?: FailureLimitOptions;
  /** The client's address. @default `clientAddress`: API Gateway's sourceIp, or the socket's */
  readonly clientAddress?: (c: Context) => string | undefined;
  /** Shown by `/health`, e.g. "dynamodb" or "memory". */
  readonly storeName: string;
  readonly log?: (message: string, error: unknown) => void;
  /** Starts, reads and controls runs; without it the run routes answer 503 ENGINE_UNAVAILABLE. */
  readonly engine?: RunEngine;
  /** Waits between polls of "start run" with `wait` (real timers by default; tests inject one). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The trigger use cases' ports; without them the trigger and hook routes answer 503 TRIGGERS_UNAVAILABLE. */
  readonly triggers?: TriggerDeps;
  /** Webhook deliveries per client address. @default burst 120, 600 a minute */
  readonly hookRequests?: FailureLimitOptions;
  /** Event subscriptions (store and SNS binder); without them the subscription routes are not mounted. */
  readonly subscriptions?: Omit<SubscriptionDeps, 'clock' | 'ids'>;
  /** Run histories (`GET .../runs/{run}/events`, with the engine) and the live hub (`.../events/stream`). */
  readonly events?: { readonly log?: EventLog; readonly hub?: EventHub };
  /** `GET /metrics`: Prometheus text (local mode; unauthenticated, like `/health`). Absent: no route. */
  readonly metrics?: () => Promise<string>;
  /** Per-workflow run counts for `GET .../workflows/{wf}` (the monitor keeps them). */
  readonly runCounters?: RunCounters;
  /** `POST .../generate`: the `ai` node's models and a time limit per generation. Absent: 501 AI_UNAVAILABLE. */
  readonly generate?: { readonly models: AiModels; readonly timeoutMs?: number } | undefined;
  /** The web UI's files, served without a key at `/` and `/ui/*` (they hold no data). Absent: no UI. */
  readonly ui?: UiAssets | undefined;
}

/**
 * The Skein HTTP API as one Hono app: served by Node locally and by the API Lambda on AWS.
 * @example serve({ fetch: createApp(deps).fetch, port: 8080 })
 */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>();
  app.onError(onError(deps.log ?? ((message, error) => console.error(message, error))));
  app.notFound(notFound);
  app.use('*', drainUnreadBody);
  app.use(
    '*',
    bodyLimit({
      maxSize: LIMITS.maxDefinitionBytes,
      onError: () => {
        throw new SkeinError(
          'TOO_LARGE',
          `the body is over ${LIMITS.maxDefinitionBytes} bytes (1 MB)`,
          'too_large',
        );
      },
    }),
  );

  app.get('/health', (c) =>
    c.json({ status: 'ok', store: deps.storeName, time: new Date(deps.clock.now()).toISOString() }),
  );

  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async (c) =>
      c.text(await metrics(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
    );
  }

  const resolver = keyResolver(deps.apiKeys, {
    clock: deps.clock,
    cacheTtlMs: deps.keyCacheMs ?? 0,
    recordUseEveryMs: RECORD_USE_EVERY_MS,
    ...(deps.log && { log: deps.log }),
  });
  const auth = requireApiKey({
    resolver,
    limiter: new FailureLimiter(() => deps.clock.now(), deps.authFailures),
    clientAddress: deps.clientAddress ?? clientAddress,
  });
  if (deps.ui) app.route('/', uiRoutes(deps.ui));
  app.post('/v1/dag/validate', auth, async (c) => {
    // Only a body that does not parse at all is a 400; duplicate keys are part of the result.
    const { text, format } = await readText(c);
    const parsed = parseSource(text, format);
    if (parsed.value === undefined) throw bodyError(parsed.problems);
    const { valid, errors, order } = validateParsed(parsed);
    return c.json({ valid, errors, order });
  });
  app.use('/v1/tenants/:tenant/*', auth);
  app.use('/v1/templates', auth);
  app.use('/v1/templates/*', auth);
  app.route('/v1/templates', templateRoutes());
  app.route('/v1/tenants/:tenant/templates', instantiateRoutes(deps));
  const nodeTypes = deps.nodeTypes ?? { types: NODE_TYPES_RUN.local, where: 'this Skein' };
  app.route('/v1/tenants/:tenant', generateRoutes({ ...deps.generate, nodeTypes }));
  app.route('/v1/tenants/:tenant/workflows', workflowRoutes(deps));
  app.route('/v1/tenants/:tenant/keys', keyRoutes({ ...deps, resolver }));
  app.route('/v1/tenants/:tenant/triggers', triggerRoutes(deps));
  if (deps.subscriptions) {
    const subscriptions = { ...deps.subscriptions, clock: deps.clock, ids: deps.ids };
    app.route('/v1/tenants/:tenant/subscriptions', subscriptionRoutes(subscriptions));
  }
  const history = deps.events?.log !== undefined && deps.engine !== undefined;
  const stream = deps.events?.hub !== undefined;
  if (history || stream) {
    app.route(
      '/v1/tenants/:tenant',
      eventRoutes({ ...deps.events, ...(deps.engine && { engine: deps.engine }) }),
    );
  }
  app.route('/v1/tenants/:tenant', runRoutes(deps));
  // Public: a webhook's signature authenticates it, not an API key.
  app.route(
    '/v1/hooks',
    hookRoutes({
      triggers: deps.triggers,
      clock: deps.clock,
      clientAddress: deps.clientAddress ?? clientAddress,
      hookRequests: deps.hookRequests,
    }),
  );

  documentRoutes(app as unknown as OpenAPIHono);
  documentRunRoutes(app as unknown as OpenAPIHono);
  documentKeyRoutes(app as unknown as OpenAPIHono);
  documentTriggerRoutes(app as unknown as OpenAPIHono);
  documentTemplateRoutes(app as unknown as OpenAPIHono);
  if (deps.ui) documentUiRoutes(app as unknown as OpenAPIHono);
  if (deps.subscriptions) documentSubscriptionRoutes(app as unknown as OpenAPIHono);
  documentEventRoutes(app as unknown as OpenAPIHono, { history, stream, metrics: metrics !== undefined });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Skein API', version: '1.0.0', description: 'Versioned DAG workflows on AWS.' },
  });
  return app;
}
