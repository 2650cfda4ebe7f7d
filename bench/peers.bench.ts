// Skein next to the job queues a user would pick for a local or single-machine runner, in one
// process, interleaved (each repetition runs every contestant once, in a rotating order, so the
// machine's load hits all alike): Skein's in-process engine on memory and on the embedded SQLite
// store + queue, BullMQ + Redis and graphile-worker + PostgreSQL (servers started here on free
// loopback ports, skipped with a message when missing). Shapes: diamond, chain-1000,
// fan-out-in-1000, fan-out-10000, all no-ops. Writes its section of bench/RESULTS.md.
// `npx tsx bench/peers.bench.ts [--runs 10] [--diamond-runs 100] [--concurrency 80] [--shapes diamond,chain-1000]`
// (--concurrency: jobs the peers' workers run at a time; 80 matches the messages Skein's driver,
// 8 pollers with batches of 10, can have in flight.)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { bullmqContestant, loadIoRedis } from './peers/bullmq.ts';
import type { Contestant } from './peers/contestant.ts';
import { graphileContestant } from './peers/graphile.ts';
import { startPostgres, startRedis, stopAll } from './peers/servers.ts';
import { skeinContestant } from './peers/skein.ts';
import { checkTargets, markdownTable, type ShapeRow } from './peers/table.ts';
import { replaceSection } from './sections.ts';
import { chain, diamond, fanOut, fanOutIn, type Shape } from './shapes.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'diamond-runs': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '80' },
    shapes: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const DIAMOND_RUNS = Number(args['diamond-runs']);
const CONCURRENCY = Number(args.concurrency);
/** Skein's in-process driver: 8 pollers, each handling batches of up to 10 messages (as the other benches). */
const SKEIN_WORKERS = 8;
const RUN_TIMEOUT_MS = 300_000;
const BASELINE = 'BullMQ + Redis';
const EMBEDDED = 'Skein, SQLite store + queue';
const allShapes = [diamond(), chain(1_000), fanOutIn(1_000), fanOut(10_000)];
const shapes = args.shapes ? allShapes.filter((s) => args.shapes?.split(',').includes(s.name)) : allShapes;
const loadAtStart = loadavg();

const withTimeout = <T>(promise: Promise<T>, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what}: no end within ${RUN_TIMEOUT_MS / 1000} s`)),
        RUN_TIMEOUT_MS,
      ).unref(),
    ),
  ]);

async function contestants(skipped: string[]): Promise<Contestant[]> {
  const list = [skeinContestant('memory', SKEIN_WORKERS), skeinContestant('sqlite', SKEIN_WORKERS)];
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const Redis = loadIoRedis();
  if (!redis.ok) skipped.push(`${BASELINE}: ${redis.reason}`);
  else if (typeof Redis === 'string') skipped.push(`${BASELINE}: ${Redis}`);
  else list.push(bullmqContestant(Redis, redis.server.port, CONCURRENCY));
  if (!postgres.ok) skipped.push(`graphile-worker + PostgreSQL: ${postgres.reason}`);
  else list.push(await graphileContestant(postgres.server.connectionString, CONCURRENCY));
  for (const reason of skipped) console.log(`skipped ${reason}`);
  return list;
}

/** Every contestant on `shape`, round-robin: a warm-up each, then `repeat` rounds. */
async function measure(shape: Shape, list: readonly Contestant[], samples: Map<string, number[]>) {
  const repeat = shape.kind === 'diamond' ? DIAMOND_RUNS : RUNS;
  for (const contestant of list) {
    await contestant.prepare(shape);
    await withTimeout(contestant.run(shape), `${contestant.name} ${shape.name} warm-up`);
    samples.set(contestant.name, []);
  }
  for (let round = 0; round < repeat; round++) {
    for (let k = 0; k < list.length; k++) {
      const contestant = list[(round + k) % list.length] as Contestant;
      const ms = await withTimeout(contestant.run(shape), `${contestant.name} ${shape.name}`);
      samples.get(contestant.name)?.push(ms);
      if (shape.kind !== 'diamond')
        console.log(`  ${shape.name} round ${round + 1}: ${contestant.name} ${ms.toFixed(0)} ms`);
    }
  }
  for (const contestant of list) await contestant.finish();
}

const rowOf = (shape: Shape): ShapeRow => ({
  name: shape.name,
  nodes: shape.nodes,
  kind: shape.kind === 'diamond' ? 'latency' : 'throughput',
});

function section(names: readonly string[], samples: Map<string, Map<string, number[]>>, skipped: string[]) {
  const rows = shapes.map(rowOf);
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const targets = checkTargets(rows, EMBEDDED, samples, BASELINE);
  const lines = [
    '## Side by side with BullMQ and graphile-worker',
    '',
    `Measured by \`npx tsx bench/peers.bench.ts --runs ${RUNS} --diamond-runs ${DIAMOND_RUNS} --concurrency ${CONCURRENCY}\` (part of \`npm run bench\`) on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, load average (1/5/15 min) ${load(loadAtStart)} at the start and ${load(loadavg())} at the end. One process, interleaved: each round runs every contestant once, in a rotating order; the diamond ${DIAMOND_RUNS} rounds, the others ${RUNS}, after one warm-up run each. All nodes are no-ops.`,
    '',
    markdownTable(rows, names, samples, BASELINE),
    '',
    `Cells: p50 (and p95 for the diamond) from start to end of one run; nodes/s = nodes in the run ÷ p50 (fan-out-in-1000 has 1,012 nodes with its 10 join helpers). (n×) = ${BASELINE}'s p50 ÷ this p50: above 1 is faster than BullMQ.`,
    '',
    `- Skein: the in-process engine (\`bench/engine-driver.ts\`, ${SKEIN_WORKERS} pollers each handling batches of up to 10 messages, so up to ${SKEIN_WORKERS * 10} in flight) on the memory store and queue, or on the embedded SQLite store and queue in one fresh database file per shape (WAL, synchronous=NORMAL, change feed at the default \`failures\` level).`,
    `- BullMQ (concurrency ${CONCURRENCY}) on redis-server with its default persistence: on finishing a node the worker INCRs the arrival counters of children with several parents and the run's sink count in one pipeline, then \`addBulk\`s the ready children (\`bench/peers/bullmq.ts\`, logic in \`bench/peers/dag.ts\`).`,
    `- graphile-worker (concurrency ${CONCURRENCY}) on PostgreSQL (initdb in a temp dir, \`synchronous_commit=off\`): the same logic with one \`INSERT … ON CONFLICT DO UPDATE … RETURNING\` on a counter table and \`addJobs\` (\`bench/peers/graphile.ts\`).`,
    '',
    `Targets of the embedded store (issue 13): ${targets.map((t) => `${t.target}: ${t.measured} (${t.met ? 'met' : 'missed'})`).join('; ')}.`,
  ];
  if (skipped.length > 0) lines.push('', `Skipped: ${skipped.join('; ')}.`);
  return lines.join('\n');
}

const skipped: string[] = [];
let list: Contestant[] = [];
let interrupted = false;
/** Closes the contestants (their clients first, so the servers stop at once), then the servers. */
async function shutDown() {
  for (const contestant of list) await contestant.close().catch((error) => console.error(error));
  stopAll();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.log(`\n${signal}: stopping the servers`);
    const forced = setTimeout(() => process.exit(130), 10_000);
    void shutDown().finally(() => {
      clearTimeout(forced);
      process.exit(130);
    });
  });
}
try {
  list = await contestants(skipped);
  const samples = new Map<string, Map<string, number[]>>();
  for (const shape of shapes) {
    console.log(`${shape.name} (${shape.nodes} nodes):`);
    const perContestant = new Map<string, number[]>();
    samples.set(shape.name, perContestant);
    await measure(shape, list, perContestant);
  }
  const names = [...list.map((c) => c.name), ...(list.some((c) => c.name === BASELINE) ? [] : [BASELINE])];
  const text = section(names, samples, skipped);
  console.log(`\n${text}`);
  const resultsFile = new URL('./RESULTS.md', import.meta.url);
  const current = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
  writeFileSync(resultsFile, replaceSection(current, 'peers', text));
  console.log('\nwrote bench/RESULTS.md');
} catch (error) {
  if (!interrupted) throw error; // else: the run failed because its contestants were closed
} finally {
  await shutDown();
}
