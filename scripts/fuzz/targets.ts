import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dynamoClients } from '../../functions/local/dynamodb-local.ts';
import { openLocalApiKeys } from '../../functions/local/local-stack.ts';
import { startLocalRuntime } from '../../functions/local/runtime.ts';
import { serveApi } from '../../functions/local/serve-api.ts';
import { startLocalTriggers } from '../../functions/local/triggers.ts';
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbTriggerStore } from '../../shared/adapters/aws/dynamodb-trigger-store.ts';
import { createTables, type TableNames } from '../../shared/adapters/aws/tables.ts';
import { EchoModels } from '../../shared/adapters/openai-models.ts';
import { createApp } from '../../shared/api/app.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import type { FuzzTarget, TenantKey } from './types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The second tenant: its data must stay out of reach of the main key. */
export const OTHER_TENANT = 'fuzz-other';

/**
 * `npm start` as a user runs it (`node --import tsx functions/local/start.ts`, the script behind
 * `npm start`), on a fresh data folder: DynamoDB Local persisted there, fauxqs, the worker and the
 * sweeper, the API on a free port. The main tenant is `demo` with the key `npm start` prints; the
 * other tenant's key is written into the running store as `skein keys create` would.
 */
export async function spawnNpmStart(options: { readonly startTimeoutMs?: number } = {}): Promise<FuzzTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skein-fuzz-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'functions/local/start.ts', '--data-dir', dataDir],
    {
      cwd: ROOT,
      // The echo model: POST .../generate answers (422 after 4 rounds) instead of 501 AI_UNAVAILABLE.
      env: { ...process.env, PORT: '0', SKEIN_AI_PROVIDER: 'echo' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start did not come up:\n${output}`)),
        options.startTimeoutMs ?? 120_000,
      );
      const check = () => {
        if (/Try:/.test(output)) {
          clearTimeout(timer);
          resolve();
        } else if (!alive()) {
          clearTimeout(timer);
          reject(new Error(`npm start exited:\n${output}`));
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', check);
    });
    const port = /Listening on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    const key = /Demo API key for tenant "demo": (\S+)/.exec(output)?.[1];
    if (!port || !key) throw new Error(`cannot read the port and key from npm start:\n${output}`);
    const url = `http://127.0.0.1:${port}`;
    const own = { tenant: 'demo', key, keyId: await currentKeyId(url, 'demo', key) };
    // The embedded store's file, shared with the running npm start.
    const store = await openLocalApiKeys(dataDir);
    const made = await createApiKey(store, OTHER_TENANT, 'fuzz: the other tenant');
    await store.stop();
    const other = { tenant: OTHER_TENANT, key: made.key, keyId: made.record.keyId };
    return {
      url,
      own,
      other,
      description: `npm start (spawned: node --import tsx functions/local/start.ts --data-dir <tmp>), the embedded SQLite store, worker and sweeper; pid ${child.pid}`,
      alive,
      unhandledErrors: () => linesWith(output, /unhandled error/),
      workerErrors: () => linesWith(output, /skein worker:/),
      stop: async () => {
        if (alive()) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stopNow(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

function stopNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

const linesWith = (output: string, pattern: RegExp) =>
  output.split('\n').filter((line) => pattern.test(line));

async function currentKeyId(url: string, tenant: string, key: string): Promise<string> {
  const response = await fetch(`${url}/v1/tenants/${tenant}/keys`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = (await response.json()) as { items: { keyId: string; current: boolean }[] };
  const current = body.items.find((item) => item.current);
  if (!current) throw new Error(`no current key in ${JSON.stringify(body)}`);
  return current.keyId;
}

/**
 * The same parts as `npm start` composed in this process (the local runtime on DynamoDB Local,
 * fauxqs, the worker, the API over real HTTP), on tables of its own: what the test in `npm test`
 * fuzzes. Unhandled API errors and worker errors are collected instead of printed.
 */
export async function startInProcess(options: {
  readonly dynamoEndpoint: string;
  readonly tables: TableNames;
}): Promise<FuzzTarget> {
  const { client, doc } = dynamoClients(options.dynamoEndpoint);
  await createTables(client, options.tables);
  const definitions = new DynamoDbDefinitionStore({ client: doc, tableName: options.tables.definitions });
  const apiKeys = new DynamoDbApiKeyStore({ client: doc, tableName: options.tables.control });
  const unhandled: string[] = [];
  const workerErrors: string[] = [];
  const describe = (error: unknown) =>
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const runtime = await startLocalRuntime({
    doc,
    runsTable: options.tables.runs,
    definitions,
    clock: systemClock,
    ids: randomIds,
    storeEndpoint: options.dynamoEndpoint,
    onError: (error) => workerErrors.push(describe(error)),
    onNotice: () => {},
    // As `npm start`: the monitor, subscriptions, run histories and the SSE stream are fuzzed too.
    monitor: { controlTable: options.tables.control },
  });
  const keyDeps = { apiKeys, clock: systemClock, ids: randomIds };
  const [ownKey, otherKey] = await Promise.all([
    createApiKey(keyDeps, 'fuzz'),
    createApiKey(keyDeps, OTHER_TENANT),
  ]);
  const triggers = await startLocalTriggers({
    store: new DynamoDbTriggerStore({ client: doc, tableName: options.tables.control }),
    engine: runtime.engine,
    definitions,
    clock: systemClock,
    ids: randomIds,
    onError: (error) => workerErrors.push(describe(error)),
  });
  const app = createApp({
    definitions,
    engine: runtime.engine,
    triggers: triggers.deps,
    clock: systemClock,
    storeName: 'dynamodb-local',
    apiKeys,
    ids: randomIds,
    log: (message, error) => unhandled.push(`${message}: ${describe(error)}`),
    // The echo model: POST .../generate answers (422 after 4 rounds) instead of 501 AI_UNAVAILABLE.
    generate: { models: new EchoModels() },
    ...(runtime.monitor && {
      subscriptions: runtime.monitor.subscriptions,
      events: runtime.monitor.events,
      runCounters: runtime.monitor.runCounters,
      metrics: async () => runtime.monitor?.metrics.render(await runtime.readyDepth()) ?? '',
    }),
  });
  const { server, address } = await serveApi(app.fetch, { port: 0 });
  const keyOf = (tenant: string, made: typeof ownKey): TenantKey => ({
    tenant,
    key: made.key,
    keyId: made.record.keyId,
  });
  let running = true;
  return {
    url: `http://127.0.0.1:${address.port}`,
    own: keyOf('fuzz', ownKey),
    other: keyOf(OTHER_TENANT, otherKey),
    description:
      'in-process: the local runtime (DynamoDB Local, fauxqs, worker) and the API on a real HTTP listener',
    alive: () => running && server.listening,
    unhandledErrors: () => [...unhandled],
    workerErrors: () => [...workerErrors],
    stop: async () => {
      running = false;
      triggers.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.stop();
      client.destroy();
    },
  };
}
