import { fileURLToPath } from 'node:url';
import { AWS_KEY_CACHE_MS } from '../shared/api/key-resolver.ts';
import { readUiAssets } from '../shared/api/ui-routes.ts';
import { NODE_TYPES_RUN } from '../shared/executors/node-types.ts';
import { createApiHandler } from '../shared/handlers/api.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { randomIds } from '../shared/ports/ids.ts';
import { apiKeys } from './composition/aws-api-keys.ts';
import { config, definitions, engine, logError } from './composition/aws-engine.ts';
import { generateModels } from './composition/aws-generate.ts';
import { eventLog, runCounters, subscriptions } from './composition/aws-subscriptions.ts';
import { triggerDeps } from './composition/aws-triggers.ts';

/** API Gateway HTTP API (payload 2.0) → the Hono app. */
export const handler = createApiHandler({
  definitions: definitions(),
  engine: engine(),
  clock: systemClock,
  apiKeys: apiKeys(),
  ids: randomIds,
  // The app checks every key again behind the authorizer: this bounds how long a revoked key works.
  keyCacheMs: AWS_KEY_CACHE_MS,
  storeName: 'dynamodb',
  log: logError,
  // SKEIN_POOL_TIMEOUTS: publishing refuses a node longer than its pool's worker can run.
  poolTimeoutsMs: config.poolTimeoutsMs,
  // Publishing warns about node types the Lambda workers do not run (refuses them with ?strict=true).
  nodeTypes: { types: NODE_TYPES_RUN.aws, where: 'this AWS deployment' },
  // Triggers in the control table; cron triggers' schedules in EventBridge Scheduler.
  triggers: triggerDeps({ withSchedules: true }),
  // Event subscriptions: SNS subscriptions of the events topic, pinned to the tenant.
  subscriptions: subscriptions(),
  // GET .../runs/{run}/events: the history the monitor writes. No SSE stream on Lambda.
  events: { log: eventLog() },
  runCounters: runCounters(),
  // POST .../generate: the Bedrock models of ai nodes (-c aiModels); none: 501 AI_UNAVAILABLE.
  generate: generateModels(),
  // The web UI at `/`: the files the bundling wrote beside index.mjs (infra/constructs/lambda.ts).
  ui: readUiAssets(fileURLToPath(new URL('./ui/', import.meta.url))),
});
