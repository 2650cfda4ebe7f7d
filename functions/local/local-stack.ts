/**
 * The two stores `npm start` runs on: the embedded SQLite file (`<data dir>/skein.db`, the
 * default) and DynamoDB Local + fauxqs (`--store dynamodb`, for parity with AWS). Each opens its
 * stores and starts its runtime from the same options; start.ts does the rest the same way.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../shared/adapters/sqlite/database.ts';
import { recoverInterrupted } from '../../shared/adapters/sqlite/restart-recovery.ts';
import { SqliteApiKeyStore } from '../../shared/adapters/sqlite/sqlite-api-key-store.ts';
import { LOCAL_TABLES, MAX_RECEIVE_COUNT } from '../../shared/config.ts';
import type { ApiKeyStore } from '../../shared/ports/api-key-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import type { DefinitionStore } from '../../shared/ports/definition-store.ts';
import { type Ids, randomIds } from '../../shared/ports/ids.ts';
import type { TriggerStore } from '../../shared/ports/trigger-store.ts';
import { localSqliteDeps } from '../composition/local-sqlite.ts';
import { type RuntimeView, type SqliteRuntimeOptions, startSqliteRuntime } from './runtime-sqlite.ts';
import { runningServer } from './server-file.ts';

export const STORES = ['sqlite', 'dynamodb'] as const;
export type StoreKind = (typeof STORES)[number];

/** What both runtimes take; the stack adds its stores. */
export type CommonRuntimeOptions = Omit<SqliteRuntimeOptions, 'deps' | 'payloadDir'> & {
  /** `<data dir>/payloads`; none with --memory. */
  readonly payloadDir?: string | undefined;
};

export interface LocalStack {
  readonly definitions: DefinitionStore;
  readonly apiKeys: ApiKeyStore;
  readonly triggers: TriggerStore;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly storeName: string;
  startRuntime(options: CommonRuntimeOptions): Promise<RuntimeView>;
  /** What server.json records for other commands and tests. */
  endpoints(): { database?: string; dynamoEndpoint?: string; sqsEndpoint?: string };
  /** Closes the stores (after the runtime stopped). */
  stop(): Promise<void>;
}

/** The lines printed before opening the store. */
export function openingLines(kind: StoreKind, dataDir: string, memory: boolean): string[] {
  if (kind === 'dynamodb')
    return [`Starting DynamoDB Local (${memory ? 'in memory' : `persisted in ${dataDir}/dynamodb`})...`];
  const database = join(dataDir, 'skein.db');
  // Data of an older Skein (DynamoDB Local) is not migrated: say where it still is.
  const older =
    !memory && !existsSync(database) && existsSync(join(dataDir, 'dynamodb'))
      ? [
          `Note: ${join(dataDir, 'dynamodb')} holds DynamoDB Local data, which the embedded store does not read; npm start -- --store dynamodb still does.`,
        ]
      : [];
  return [...older, `Opening the embedded store (${memory ? 'SQLite in memory' : `SQLite, ${database}`})...`];
}

/** @example const stack = await openLocalStack('sqlite', '.skein', { memory: false }); */
export async function openLocalStack(
  kind: StoreKind,
  dataDir: string,
  options: { readonly memory: boolean },
): Promise<LocalStack> {
  return kind === 'dynamodb' ? dynamoStack(dataDir, options.memory) : sqliteStack(dataDir, options.memory);
}

function sqliteStack(dataDir: string, memory: boolean): LocalStack {
  const database = memory ? ':memory:' : join(dataDir, 'skein.db');
  // --memory: large payloads in a temporary folder (made on first use, removed at the stop).
  const scratch = join(tmpdir(), `skein-payloads-${process.pid}`);
  const deps = localSqliteDeps(database, { visibilitySeconds: 60, maxReceiveCount: MAX_RECEIVE_COUNT });
  return {
    ...deps,
    startRuntime: async (options) => {
      // The work a stopped `npm start` on this file left in flight starts again now, not after its
      // visibility and lease run out; never while another `npm start` uses the file.
      if (!memory && runningServer(dataDir) === undefined) {
        const { nodes, messages } = recoverInterrupted(deps.sqlite, Date.now());
        if (nodes > 0 || messages > 0) {
          (options.onNotice ?? console.warn)(
            `taken over from the last run of npm start on this folder: ${nodes} interrupted node(s), ${messages} message(s) in flight`,
          );
        }
      }
      return startSqliteRuntime({
        ...options,
        deps,
        payloadDir: options.payloadDir ?? scratch,
      });
    },
    endpoints: () => ({ database }),
    stop: async () => {
      deps.close();
      if (memory) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Loaded only for `--store dynamodb`: the embedded store's start loads no AWS SDK nor fauxqs. */
async function dynamoStack(dataDir: string, memory: boolean): Promise<LocalStack> {
  const [{ openLocalStore }, { startLocalRuntime }] = await Promise.all([
    import('./local-store.ts'),
    import('./runtime.ts'),
  ]);
  const store = await openLocalStore(dataDir, { memory });
  let sqsEndpoint: string | undefined;
  return {
    ...store,
    startRuntime: async ({ monitor, ...options }) => {
      const runtime = await startLocalRuntime({
        ...options,
        doc: store.doc,
        runsTable: store.runsTable,
        definitions: store.definitions,
        clock: store.clock,
        ids: store.ids,
        storeEndpoint: store.endpoint,
        ...(monitor && { monitor: { ...monitor, controlTable: LOCAL_TABLES.control } }),
      });
      sqsEndpoint = runtime.sqsEndpoint;
      return runtime;
    },
    endpoints: () => ({ dynamoEndpoint: store.endpoint, ...(sqsEndpoint && { sqsEndpoint }) }),
    stop: () => store.stop(),
  };
}

/**
 * The API keys of local mode (`skein keys`): the running `npm start`'s DynamoDB Local when it runs
 * with `--store dynamodb`, else the embedded store's file `<dataDir>/skein.db` (SQLite lets a
 * running `npm start` and this process share it).
 */
export async function openLocalApiKeys(dataDir: string) {
  if (runningServer(dataDir)?.dynamoEndpoint) {
    const { openLocalStore } = await import('./local-store.ts');
    return openLocalStore(dataDir);
  }
  mkdirSync(dataDir, { recursive: true });
  const sqlite = openSqlite(join(dataDir, 'skein.db'));
  return {
    apiKeys: new SqliteApiKeyStore(sqlite),
    clock: systemClock,
    ids: randomIds,
    stop: async () => sqlite.close(),
  };
}
