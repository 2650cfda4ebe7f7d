import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalDeps, localDeps } from '../composition/local.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';

/** What `npm start` leaves in the data folder so other commands can reach its store. */
interface RunningServer {
  readonly pid: number;
  /** `--store dynamodb`: DynamoDB Local. */
  readonly dynamoEndpoint?: string;
  /** The embedded store's database file (the default store). */
  readonly database?: string;
  /** fauxqs, for tools and tests that must know the queue's port (http nodes may not call it). */
  readonly sqsEndpoint?: string;
  readonly apiUrl: string;
}

const SERVER_FILE = 'server.json';

export interface LocalStore extends LocalDeps {
  readonly endpoint: string;
  /** Stops what this call started (DynamoDB Local), not a store shared with a running server. */
  stop(): Promise<void>;
}

/**
 * Opens the local persisted store: the one a running `npm start` uses if there is one (two JVMs
 * must not share the database files), else a DynamoDB Local started on `<dataDir>/dynamodb`.
 */
export async function openLocalStore(
  dataDir: string,
  options: { memory?: boolean } = {},
): Promise<LocalStore> {
  const running = options.memory ? undefined : runningServer(dataDir);
  if (running?.dynamoEndpoint) {
    const deps = await localDeps(running.dynamoEndpoint);
    return { ...deps, endpoint: running.dynamoEndpoint, stop: async () => deps.close() };
  }
  const dynamo = await startDynamoDbLocal(options.memory ? {} : { dbPath: join(dataDir, 'dynamodb') });
  const deps = await localDeps(dynamo.endpoint);
  return {
    ...deps,
    endpoint: dynamo.endpoint,
    stop: async () => {
      deps.close();
      await dynamo.stop();
    },
  };
}

export function recordServer(dataDir: string, server: RunningServer): () => void {
  const file = join(dataDir, SERVER_FILE);
  writeFileSync(file, JSON.stringify(server, null, 2));
  return () => rmSync(file, { force: true });
}

export function runningServer(dataDir: string): RunningServer | undefined {
  const file = join(dataDir, SERVER_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const server = JSON.parse(readFileSync(file, 'utf8')) as RunningServer;
    process.kill(server.pid, 0); // throws when no such process: a stale file from a crash
    return server;
  } catch {
    rmSync(file, { force: true });
    return undefined;
  }
}
