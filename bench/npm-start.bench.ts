/**
 * `npm start` on each store: time to ready (spawn to the printed URL, fresh data folder), then
 * the latency of a noop diamond run over HTTP (POST .../runs, then GET the run every 2 ms until it
 * ended, as a client sees it), interleaved by store.
 *   npx tsx bench/npm-start.bench.ts [rounds=3] [runs=30]
 */
import { diamondRun, publishDiamond, type Started, startServer, stopServer } from './npm-start-driver.ts';

const rounds = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 30);
const STORES = ['sqlite', 'dynamodb'] as const;

async function diamondLatencies(server: Started): Promise<number[]> {
  await publishDiamond(server);
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const ms = await diamondRun(server);
    if (i >= 3) times.push(ms); // the first runs warm up
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const ready: Record<string, number[]> = { sqlite: [], dynamodb: [] };
const diamond: Record<string, number[]> = { sqlite: [], dynamodb: [] };
for (let round = 0; round < rounds; round++) {
  for (const store of STORES) {
    const server = await startServer(store);
    ready[store]?.push(server.readyMs);
    diamond[store]?.push(...(await diamondLatencies(server)));
    await stopServer(server);
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
