/**
 * `npm start` on each store: time to ready (spawn to the printed URL, fresh data folder), then
 * the latency of a noop diamond run over HTTP (POST .../runs, then GET the run every 2 ms until it
 * ended, as a client sees it), interleaved by store.
 *   npx tsx bench/npm-start.bench.ts [rounds=3] [runs=30]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 30);
const STORES = ['sqlite', 'dynamodb'] as const;

interface Started {
  readonly url: string;
  readonly key: string;
  readonly readyMs: number;
  readonly child: ChildProcess;
  readonly dataDir: string;
}

async function start(store: string): Promise<Started> {
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

async function stop(server: Started) {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGINT');
  await exited;
  rmSync(server.dataDir, { recursive: true, force: true });
}

async function diamondLatencies(server: Started): Promise<number[]> {
  const headers = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
  const noop = (needs?: string[]) => ({ type: 'noop', ...(needs && { needs }) });
  await fetch(`${server.url}/v1/tenants/demo/workflows/diamond/versions/1.0.0`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ nodes: { a: noop(), b: noop(['a']), c: noop(['a']), d: noop(['b', 'c']) } }),
  });
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const at = performance.now();
    const response = await fetch(`${server.url}/v1/tenants/demo/workflows/diamond/runs`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    const { runId } = (await response.json()) as { runId: string };
    // Polled every 2 ms (a start with `wait` polls every 100 ms, which would hide the engine).
    let run: { status: string; createdAt: string; endedAt?: string };
    do {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const read = await fetch(`${server.url}/v1/tenants/demo/runs/${runId}`, { headers });
      run = (await read.json()) as typeof run;
    } while (run.status === 'RUNNING' || run.status === 'PENDING');
    if (run.status !== 'SUCCEEDED') throw new Error(`diamond ended ${run.status}`);
    if (i >= 3) times.push(performance.now() - at); // the first runs warm up
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const ready: Record<string, number[]> = { sqlite: [], dynamodb: [] };
const diamond: Record<string, number[]> = { sqlite: [], dynamodb: [] };
for (let round = 0; round < rounds; round++) {
  for (const store of STORES) {
    const server = await start(store);
    ready[store]?.push(server.readyMs);
    diamond[store]?.push(...(await diamondLatencies(server)));
    await stop(server);
  }
}
console.log('| store | npm start ready, median (all) | diamond over HTTP (start to seen ended), p50 | p90 |');
console.log('|---|---|---|---|');
for (const store of STORES) {
  const r = ready[store] ?? [];
  const d = [...(diamond[store] ?? [])].sort((a, b) => a - b);
  const p90 = d[Math.floor(d.length * 0.9)] ?? 0;
  console.log(
    `| ${store} | ${(median(r) / 1000).toFixed(2)} s (${r.map((ms) => (ms / 1000).toFixed(2)).join(', ')}) | ${median(d).toFixed(1)} ms | ${p90.toFixed(1)} ms |`,
  );
}
