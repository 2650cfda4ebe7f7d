/**
 * `<data dir>/server.json`: what a running `npm start` leaves so other commands (`skein keys`,
 * `skein run --api`, tests) can reach it. Kept apart from the stores so reading it loads no SDK.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `npm start` leaves in the data folder so other commands can reach its store. */
export interface RunningServer {
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
