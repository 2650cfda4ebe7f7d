/**
 * `npm start` driven as a client sees it, for benchmarks: start it on a fresh data folder, publish
 * a noop diamond, run it over HTTP (POST .../runs, then GET the run every 2 ms until it ended).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

export interface Started {
  readonly url: string;
  readonly key: string;
  /** Spawn to the printed URL. */
  readonly readyMs: number;
  readonly child: ChildProcess;
  readonly dataDir: string;
}

/** `npm start -- --quiet --store <store>` on a fresh data folder, once it printed its key and URL. */
export async function startServer(store: string): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skein-bench-start-'));
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'functions/local/start.ts', '--quiet', '--store', store, '--data-dir', dataDir],
    { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 120_000;
  let readyMs: number | undefined;
  while (!/Try:/.test(output)) {
    if (readyMs === undefined && /running at/.test(output)) readyMs = performance.now() - startedAt;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start failed:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return {
    url: /running at (http:\/\/localhost:\d+)/.exec(output)?.[1] as string,
    key: /Demo API key for tenant "demo": (\S+)/.exec(output)?.[1] as string,
    readyMs: readyMs ?? performance.now() - startedAt,
    child,
    dataDir,
  };
}

export async function stopServer(server: Started): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGINT');
  await exited;
  rmSync(server.dataDir, { recursive: true, force: true });
}

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

const headersOf = (server: Started) => ({
  authorization: `Bearer ${server.key}`,
  'content-type': 'application/json',
});

/** Publishes `diamond` (a → b, c → d, all noop) for tenant demo. */
export async function publishDiamond(server: Started): Promise<void> {
  const noop = (needs?: string[]) => ({ type: 'noop', ...(needs && { needs }) });
  const response = await fetch(`${server.url}/v1/tenants/demo/workflows/diamond/versions/1.0.0`, {
    method: 'PUT',
    headers: headersOf(server),
    body: JSON.stringify({ nodes: { a: noop(), b: noop(['a']), c: noop(['a']), d: noop(['b', 'c']) } }),
  });
  if (response.status >= 300) throw new Error(`publish: ${response.status} ${await response.text()}`);
}

/** One diamond run, start to seen ended (ms); throws unless it SUCCEEDED. */
export async function diamondRun(server: Started): Promise<number> {
  const headers = headersOf(server);
  const at = performance.now();
  const response = await fetch(`${server.url}/v1/tenants/demo/workflows/diamond/runs`, {
    method: 'POST',
    headers,
    body: '{}',
  });
  const { runId } = (await response.json()) as { runId: string };
  // Polled every 2 ms (a start with `wait` polls every 100 ms, which would hide the engine).
  let run: { status: string };
  do {
    await new Promise((resolve) => setTimeout(resolve, 2));
    const read = await fetch(`${server.url}/v1/tenants/demo/runs/${runId}`, { headers });
    run = (await read.json()) as typeof run;
  } while (!ENDED.has(run.status));
  if (run.status !== 'SUCCEEDED') throw new Error(`diamond ended ${run.status}`);
  return performance.now() - at;
}
