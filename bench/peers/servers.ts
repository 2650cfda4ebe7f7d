// Starts the peers' servers for the side-by-side benchmark: Debian's redis-server and PostgreSQL,
// each on a free loopback port in a temporary directory, and stops them (also on exit).
// A missing binary gives a reason to print instead of a server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/** A running server, or why there is none. */
export type Started<T> =
  | { readonly ok: true; readonly server: T }
  | { readonly ok: false; readonly reason: string };

export interface LocalServer {
  readonly port: number;
  /** Stops the server and deletes its directory (idempotent, synchronous so exit handlers can call it). */
  stop(): void;
}

export interface LocalPostgres extends LocalServer {
  readonly connectionString: string;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The first `name` found on PATH or in `extra` directories. */
function findBinary(name: string, extra: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra];
  return dirs
    .filter((dir) => dir.length > 0)
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
}

/** Resolves once `port` accepts connections, or rejects after `timeoutMs`. */
async function waitForPort(port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}

const stops = new Set<() => void>();

/** Stops every server still running (also done on exit); the benchmark calls it once its clients are closed. */
export function stopAll(): void {
  for (const stop of [...stops]) stop();
}

function register(stop: () => void) {
  if (stops.size === 0) process.once('exit', stopAll);
  stops.add(stop);
}

/** Kills the process group of a server started `detached` (it leads its own group). */
function killGroup(child: ChildProcess) {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * redis-server with its default persistence (RDB snapshots, no AOF) on a free port, its files in
 * a temporary directory.
 */
export async function startRedis(): Promise<Started<LocalServer>> {
  const binary = findBinary('redis-server', ['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  if (!binary) return { ok: false, reason: 'redis-server not found (Debian: apt-get install redis-server)' };
  const home = mkdtempSync(join(tmpdir(), 'skein-peers-redis-'));
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', home], {
    stdio: 'ignore',
    detached: true,
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    stops.delete(stop);
    killGroup(child);
    rmSync(home, { recursive: true, force: true });
  };
  register(stop);
  try {
    await waitForPort(port, 10_000, child);
  } catch (error) {
    stop();
    return { ok: false, reason: `redis-server did not start: ${(error as Error).message}` };
  }
  return { ok: true, server: { port, stop } };
}

/** The directory of PostgreSQL's server binaries: Debian's newest `/usr/lib/postgresql/<v>/bin`, or PATH. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const initdb = findBinary('initdb');
  return initdb ? join(initdb, '..') : undefined;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asServerUser(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid, prefix: ['runuser', '-u', 'postgres', '--'] };
}

/**
 * A PostgreSQL cluster made by initdb in a temporary directory (trust authentication on
 * loopback, `synchronous_commit=off`: commits are not flushed one by one, like the SQLite store's
 * WAL with synchronous=NORMAL and Redis's default), listening on a free port.
 */
export async function startPostgres(): Promise<Started<LocalPostgres>> {
  const bin = postgresBin();
  if (!bin) return { ok: false, reason: 'PostgreSQL not found (Debian: apt-get install postgresql)' };
  let user: ReturnType<typeof asServerUser>;
  try {
    user = asServerUser();
  } catch {
    return { ok: false, reason: 'running as root, and there is no postgres user to run PostgreSQL as' };
  }
  const home = mkdtempSync(join(tmpdir(), 'skein-peers-pg-'));
  const data = join(home, 'data');
  if (user) {
    chmodSync(home, 0o755);
    chownSync(home, user.uid, user.gid);
  }
  const as = (command: string, args: string[]) => {
    const [file, ...rest] = [...(user?.prefix ?? []), join(bin, command), ...args];
    return { file: file as string, args: rest };
  };
  const port = await freePort();
  const init = as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  try {
    execFileSync(init.file, init.args, { stdio: 'ignore' });
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    return { ok: false, reason: `initdb failed: ${(error as Error).message}` };
  }
  const settings = ['listen_addresses=127.0.0.1', 'synchronous_commit=off', 'max_connections=200'];
  const server = as('postgres', [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    home,
    ...settings.flatMap((s) => ['-c', s]),
  ]);
  const child = spawn(server.file, server.args, { stdio: 'ignore', detached: true });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    stops.delete(stop);
    // A clean stop removes its shared memory; with clients still connected (an interrupted run)
    // it may wait on them, so after 5 s the server's process group is killed.
    const ctl = as('pg_ctl', ['-D', data, 'stop', '-m', 'immediate', '-w', '-t', '5']);
    try {
      execFileSync(ctl.file, ctl.args, { stdio: 'ignore', timeout: 7_000 });
    } catch {
      killGroup(child);
    }
    rmSync(home, { recursive: true, force: true });
  };
  register(stop);
  try {
    await waitForPort(port, 20_000, child);
  } catch (error) {
    stop();
    return { ok: false, reason: `PostgreSQL did not start: ${(error as Error).message}` };
  }
  const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
  if (!(await acceptsQueries(connectionString, 20_000))) {
    stop();
    return { ok: false, reason: 'PostgreSQL opened its port but answered no query within 20 s' };
  }
  return { ok: true, server: { port, connectionString, stop } };
}

/** Whether `SELECT 1` succeeds within `timeoutMs` (the server accepts connections before it is ready). */
async function acceptsQueries(connectionString: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}
