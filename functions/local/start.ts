import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ServerType } from '@hono/node-server';
import { localAiModels } from '../../shared/adapters/local-ai.ts';
import { LocalEventBus } from '../../shared/adapters/local-event-bus.ts';
import { LocalSecrets } from '../../shared/adapters/local-secrets.ts';
import { createApp } from '../../shared/api/app.ts';
import { localConfig, silenceSdkNodeVersionNotice } from '../../shared/config.ts';
import { localAiFrom } from '../../shared/config-executors.ts';
import { payloadThresholdFrom } from '../../shared/config-payloads.ts';
import { createApiKey, resolveApiKey } from '../../shared/engine/api-keys.ts';
import { matchEvent } from '../../shared/engine/triggers/events.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import { buildUi } from '../../ui/build.ts';
import { lockDataDir } from './data-lock.ts';
import { eventLine, printed } from './event-console.ts';
import { publishExamples } from './examples.ts';
import { openingLines, openLocalStack, STORES, type StoreKind } from './local-stack.ts';
import type { RuntimeView } from './runtime-sqlite.ts';
import { DEFAULT_HOST, exposedWarning, isLoopbackHost, localUrl, serveApi } from './serve-api.ts';
import { recordServer } from './server-file.ts';
import { startLocalTriggers } from './triggers.ts';

/**
 * `npm start`: the embedded store, one SQLite file `.skein/skein.db` (`--store dynamodb`: DynamoDB
 * Local persisted under .skein/dynamodb and fauxqs, as before; --memory: nothing kept), the API on
 * http://localhost:8080 (PORT) listening on 127.0.0.1 (--host to change), the examples published
 * for tenant "demo", and a demo API key. http nodes may call only the `host:port`s given with
 * --allow-http (repeatable) or SKEIN_HTTP_ALLOW, and never DynamoDB Local or fauxqs. Run events are
 * printed one line each (--quiet: none), delivered to subscriptions, and streamed.
 */
let values: {
  memory: boolean;
  quiet: boolean;
  'data-dir': string;
  host: string;
  'allow-http': string[];
  store: string;
};
let storeKind: StoreKind;
let port: number;
let httpAllow: readonly string[];
let tenantMaxActiveRuns: number | undefined;
let payloadThresholdBytes: number;
try {
  ({ values } = parseArgs({
    options: {
      memory: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: '.skein' },
      host: { type: 'string', default: DEFAULT_HOST },
      'allow-http': { type: 'string', multiple: true, default: [] },
      store: { type: 'string', default: 'sqlite' },
    },
  }));
  const kind = STORES.find((each) => each === values.store);
  if (!kind) throw new Error(`--store must be one of ${STORES.join(', ')}, got "${values.store}"`);
  storeKind = kind;
  const config = localConfig();
  port = config.port;
  httpAllow = [...config.httpAllow, ...values['allow-http']];
  tenantMaxActiveRuns = config.tenantMaxActiveRuns;
  payloadThresholdBytes = payloadThresholdFrom();
  parseHttpAllow(httpAllow); // a malformed entry stops here, before anything starts
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(2);
}
silenceSdkNodeVersionNotice();
const dataDir = values['data-dir'];
const host = values.host;
const tenant = 'demo';
mkdirSync(dataDir, { recursive: true });
if (!isLoopbackHost(host)) console.warn(exposedWarning(host, port));

const lock = values.memory ? undefined : lockDataDir(dataDir);
if (lock && !lock.ok) {
  console.error(
    `npm start: another npm start (pid ${lock.pid}) is using ${dataDir}; stop it first, or give this one another folder with --data-dir DIR`,
  );
  process.exit(2);
}
process.on('exit', () => lock?.ok && lock.release());
for (const line of openingLines(storeKind, dataDir, values.memory)) console.log(line);
const store = await openLocalStack(storeKind, dataDir, { memory: values.memory });
let stopping = false;
let runtime: RuntimeView | undefined;
let server: ServerType | undefined;
let forget: (() => void) | undefined;
let stopTriggers: (() => void) | undefined;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping Skein...');
  forget?.();
  stopTriggers?.();
  server?.close();
  await runtime?.stop();
  await store.stop();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

console.log(`Publishing examples for tenant "${tenant}":`);
for (const line of await publishExamples(store, 'examples', tenant)) console.log(line);
const key = await demoKey();
console.log(
  storeKind === 'sqlite'
    ? 'Starting the engine: the ready queue in the same file, the worker and the sweeper...'
    : `Starting the engine: fauxqs (SQS${values.memory ? ', and S3 for large payloads' : ''}), the worker and the sweeper...`,
);
// `event` nodes put events here; the event triggers match them (wired once the triggers start).
const bus = new LocalEventBus({ clock: store.clock });
runtime = await store.startRuntime({
  eventBus: bus,
  httpAllow,
  onNotice: (notice) => console.warn(`npm start: ${notice}`),
  ...(tenantMaxActiveRuns === undefined ? {} : { tenantMaxActiveRuns }),
  secrets: new LocalSecrets({ dir: join(dataDir, 'secrets') }),
  payloadThresholdBytes,
  ...(values.memory ? {} : { payloadDir: join(dataDir, 'payloads') }),
  // Run events: one console line each (severity coloured; none with --quiet), subscriptions and
  // the webhook deliverer, run histories and the SSE stream.
  monitor: {
    ...(!values.quiet && {
      onEvents: (events) => {
        for (const event of events.filter(printed)) console.log(eventLine(event, process.stdout.isTTY));
      },
    }),
  },
});
const allowed =
  runtime.httpAllow.length > 0 ? runtime.httpAllow.join(', ') : 'none (use --allow-http host:port)';
console.log(`http nodes may call private addresses only at: ${allowed}`);

const triggers = await startLocalTriggers({
  store: store.triggers,
  engine: runtime.engine,
  definitions: store.definitions,
  clock: store.clock,
  ids: store.ids,
  ...(runtime.monitor && { notifier: runtime.monitor.notifier }),
  observer: (event) => {
    // Without the monitor (its console prints trigger events), failures are still printed.
    if (event.type === 'trigger.failed' && !runtime?.monitor) {
      console.warn(
        `skein trigger ${event.tenant}/${event.triggerId}: ${event.error?.code}: ${event.error?.message}`,
      );
    }
  },
});
stopTriggers = triggers.stop;
bus.listen(async (event) => matchEvent(triggers.deps, await store.triggers.listEvent(), event));
console.log(
  'Cron triggers armed (croner); webhooks at POST /v1/hooks/{hook}; event triggers on the local bus.',
);

const app = createApp({
  definitions: store.definitions,
  engine: runtime.engine,
  triggers: triggers.deps,
  clock: store.clock,
  storeName: store.storeName,
  apiKeys: store.apiKeys,
  ids: store.ids,
  nodeTypes: { types: runtime.engine.nodeTypes(), where: 'this local Skein' },
  // POST .../generate: the models of ai nodes (SKEIN_AI_BASE_URL or SKEIN_AI_PROVIDER=echo); none: 501.
  generate: ((models) => models && { models })(localAiModels(localAiFrom())),
  ...(runtime.monitor && {
    subscriptions: runtime.monitor.subscriptions,
    events: runtime.monitor.events,
    runCounters: runtime.monitor.runCounters,
  }),
  // The web UI at `/`, bundled in memory now (about 100 ms): a fresh clone needs no build step.
  ui: await buildUi(),
  ...(runtime.monitor && {
    metrics: async () => runtime?.monitor?.metrics.render(await runtime.readyDepth()) ?? '',
  }),
});
try {
  const served = await serveApi(app.fetch, { port, host });
  server = served.server;
  const url = localUrl(host, served.address.port);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.message);
    void shutdown(1);
  });
  if (!values.memory) forget = recordServer(dataDir, { pid: process.pid, ...store.endpoints(), apiUrl: url });
  console.log(`\nSkein is running at ${url}  (OpenAPI: ${url}/openapi.json; Ctrl-C stops everything)`);
  console.log(`Listening on ${served.address.address}:${served.address.port}`);
  console.log(`Demo API key for tenant "${tenant}": ${key}`);
  console.log(`Web UI: open ${url}/ in a browser and sign in with this key\n`);
  console.log('Try:');
  console.log(`  curl -s -H "Authorization: Bearer ${key}" ${url}/v1/tenants/${tenant}/workflows`);
  console.log(
    `  curl -s -H "Authorization: Bearer ${key}" -H "Content-Type: application/yaml" --data-binary @examples/hello.yaml ${url}/v1/dag/validate`,
  );
  console.log(
    `  curl -s -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" -d '{"inputs":{"name":"Ada"},"wait":10}' ${url}/v1/tenants/${tenant}/workflows/hello/runs`,
  );
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${port} is in use; start with PORT=<another port> npm start`
      : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
        ? `Cannot listen on --host ${host}: no such address on this machine`
        : (error as Error).message,
  );
  await shutdown(1);
}

/** Reuses the demo key kept in the data folder while it still resolves, else makes a new one. */
async function demoKey(): Promise<string> {
  const file = join(dataDir, 'demo-api-key');
  if (!values.memory && existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if ((await resolveApiKey(store.apiKeys, saved)) === tenant) return saved;
  }
  const { key: created } = await createApiKey(store, tenant, 'demo key made by npm start');
  if (!values.memory) writeFileSync(file, `${created}\n`, { mode: 0o600 });
  return created;
}
