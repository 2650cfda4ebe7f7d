// The embedded store's benchmark (not in `npm run bench` yet): `npx tsx bench/sqlite-store.bench.ts`.
// 1. The three per-node run-store writes (claim, complete, arrival) on the memory store and on
//    the SQLite store (a fresh file in a temporary directory, WAL, synchronous=NORMAL, change feed
//    at the monitor's `all` level), in microseconds per call.
// 2. The in-process engine (bench/engine-driver.ts: 8 workers) on the memory store and queue, the
//    SQLite store with the memory queue, and the SQLite store and queue (one database file), on
//    the diamond (p50 of 50 runs), a chain of 1,000 and a fan-out of 10,000 noop nodes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryRunStore } from '../shared/adapters/memory/run-store.ts';
import { SqliteQueue } from '../shared/adapters/sqlite/sqlite-queue.ts';
import { SqliteRunStore } from '../shared/adapters/sqlite/sqlite-run-store.ts';
import type { Queue } from '../shared/ports/queue.ts';
import type { RunStore } from '../shared/ports/run-store.ts';
import { engineBench } from './engine-driver.ts';
import { chain, diamond, fanOut } from './shapes.ts';
import { summarize } from './stats.ts';

const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const EXPIRES = 4_102_444_800;
const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-bench-'));

/**
 * Claim, complete and arrival of `OPS` nodes, µs per call: `concurrency` 1 awaits each call (its
 * own commit on SQLite), more issues that many at a time (they share group commits), as a worker
 * handling a batch does.
 */
async function perNode(label: string, store: RunStore, concurrency: number): Promise<Record<string, number>> {
  const runId = `bench-${label}-${concurrency}`;
  const ids = Array.from({ length: OPS }, (_, i) => `n${i}`);
  const timed = async (fn: (nodeId: string) => Promise<unknown>) => {
    const started = performance.now();
    for (let i = 0; i < ids.length; i += concurrency)
      await Promise.all(ids.slice(i, i + concurrency).map(fn));
    return ((performance.now() - started) * 1000) / OPS;
  };
  const arrival = await timed((id) => store.arrive(runId, id, 'parent', 'SUCCEEDED', EXPIRES));
  const claim = await timed((id) =>
    store.updateNode(
      runId,
      id,
      { status: ['ABSENT', 'READY'], arrivedCount: 1 },
      {
        set: { status: 'RUNNING', token: 't', leaseUntil: '2100-01-01T00:00:00.000Z' },
        addAttempt: 1,
        bumpFence: true,
      },
      EXPIRES,
    ),
  );
  const complete = await timed((id) =>
    store.updateNode(
      runId,
      id,
      { status: ['RUNNING'], fence: 1 },
      {
        set: { status: 'SUCCEEDED', output: { ok: true }, endedAt: '2026-01-01T00:00:00.000Z' },
        remove: ['leaseUntil'],
      },
      EXPIRES,
    ),
  );
  return { claim, complete, arrival };
}

async function engineShapes(label: string, runs: RunStore, queue?: Queue) {
  const bench = engineBench(runs, 8, queue ? { queue } : {});
  const out: Record<string, number> = {};
  for (const [shape, repeat] of [
    [diamond(), 50],
    [chain(1000), 1],
    [fanOut(10_000), 1],
  ] as const) {
    await bench.publish(shape.definition);
    await bench.runToEnd(shape.definition.id); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const result = await bench.runToEnd(shape.definition.id);
      if (result.status !== 'run.succeeded') throw new Error(`${label} ${shape.name}: ${result.status}`);
      ms.push(result.ms);
    }
    out[shape.name] = summarize(ms).p50;
    process.stdout.write(`  ${label} ${shape.name}: ${out[shape.name]?.toFixed(1)} ms p50\n`);
  }
  await bench.stop();
  return out;
}

const sqlite = (name: string) => new SqliteRunStore({ database: join(dir, `${name}.db`), changeFeed: 'all' });
try {
  console.log(`Per-node store writes, µs per call (${OPS} nodes each; one at a time | 80 at a time):`);
  const memoryStore = new MemoryRunStore();
  const sqliteStore = sqlite('ops');
  const ops: Record<string, Record<string, number>> = {};
  for (const concurrency of [1, 80]) {
    ops[`memory${concurrency}`] = await perNode('memory', memoryStore, concurrency);
    ops[`sqlite${concurrency}`] = await perNode('sqlite', sqliteStore, concurrency);
  }
  for (const op of ['claim', 'complete', 'arrival']) {
    const cell = (name: string) =>
      `${ops[`${name}1`]?.[op]?.toFixed(1)} | ${ops[`${name}80`]?.[op]?.toFixed(1)}`;
    console.log(`  ${op}: memory ${cell('memory')} µs, SQLite ${cell('sqlite')} µs`);
  }
  console.log('Engine (8 in-process workers), ms:');
  const memoryShapes = await engineShapes('memory', new MemoryRunStore());
  const sqliteShapes = await engineShapes('sqlite store + memory queue', sqlite('engine'));
  const both = sqlite('engine-queue');
  const queue = new SqliteQueue(both.sqlite, { name: 'work', visibilitySeconds: 120 });
  const durableShapes = await engineShapes('sqlite store + sqlite queue', both, queue);
  console.log(
    '| shape | memory ms | SQLite store ms | SQLite store + queue ms | SQLite store + queue nodes/s |',
  );
  console.log('|---|---|---|---|---|');
  for (const [name, nodes] of [
    ['diamond', 4],
    ['chain-1000', 1000],
    ['fan-out-10000', 10_000],
  ] as const) {
    const d = durableShapes[name] ?? Number.NaN;
    const cells = [memoryShapes[name], sqliteShapes[name], d].map((ms) => ms?.toFixed(1));
    console.log(`| ${name} | ${cells.join(' | ')} | ${((nodes * 1000) / d).toFixed(0)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
