// Fairness between tenants (`npx tsx bench/fairness.bench.ts [--fanout 10000] [--dynamodb] [--local]`):
// tenant "big" starts a fan-out of noop nodes, then tenant "small" starts a 3-node chain; measured
// is the small run's latency, with the queue serving tenants in turn (messages carry the tenant as
// their group, as SQS fair queues use it) and without (groups stripped: one first-in-first-out
// line). `--local` adds the runtime of `npm start` (fauxqs behind a FairQueue: `fairness-local.ts`).
// Writes the fairness section of bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryDefinitionStore } from '../shared/adapters/memory/definition-store.ts';
import { MemoryQueue } from '../shared/adapters/memory/queue.ts';
import { QueueRelayTimer } from '../shared/adapters/memory/queue-relay-timer.ts';
import { MemoryRunStore } from '../shared/adapters/memory/run-store.ts';
import { SandboxPool } from '../shared/adapters/sandbox/sandbox-pool.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { publishDefinition } from '../shared/engine/publish-definition.ts';
import { RunEngine } from '../shared/engine/run-engine.ts';
import { defaultExecutors } from '../shared/executors/registry.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { randomIds } from '../shared/ports/ids.ts';
import type { Queue } from '../shared/ports/queue.ts';
import type { RunStore } from '../shared/ports/run-store.ts';
import { type FairnessRow, measureLocal } from './fairness-local.ts';
import { replaceSection } from './sections.ts';

silenceSdkNodeVersionNotice();
const { values } = parseArgs({
  options: {
    fanout: { type: 'string', default: '10000' },
    dynamodb: { type: 'boolean', default: false },
    local: { type: 'boolean', default: false },
  },
});
const FANOUT = Number(values.fanout);
const WORKERS = 8;

async function measure(label: string, runs: RunStore, fair: boolean): Promise<FairnessRow> {
  const memoryQueue = new MemoryQueue({ clock: systemClock, visibilitySeconds: 300 });
  // Starts the small run right after the fan-out's children are queued, in front of it.
  let afterFanOut: (() => void) | undefined;
  const queue: Queue = {
    send: async (messages) => {
      await memoryQueue.send(fair ? messages : messages.map(({ group: _group, ...message }) => message));
      if (messages.length >= FANOUT - 1) afterFanOut?.();
    },
    receive: (options) => memoryQueue.receive(options),
    delete: (receipt) => memoryQueue.delete(receipt),
    changeVisibility: (receipt, seconds) => memoryQueue.changeVisibility(receipt, seconds),
  };
  const definitions = new MemoryDefinitionStore();
  const sandbox = new SandboxPool();
  const ended = new Map<string, number>();
  let bigRun = '';
  let smallRun = '';
  let bigDone = 0;
  let bigDoneAtSmallEnd = 0;
  const engine = new RunEngine({
    runs,
    definitions,
    queue,
    timer: new QueueRelayTimer(queue, systemClock),
    clock: systemClock,
    ids: randomIds,
    executors: defaultExecutors({ script: { sandbox } }),
    sandbox,
    random: Math.random,
    observer: (event) => {
      if (event.type === 'node.succeeded' && event.runId === bigRun) bigDone += 1;
      if (event.type === 'run.succeeded' || event.type === 'run.failed') {
        ended.set(event.runId, performance.now());
        if (event.runId === smallRun) bigDoneAtSmallEnd = bigDone;
      }
    },
  });
  const nodes: Record<string, object> = { root: { type: 'noop' } };
  for (let i = 1; i < FANOUT; i += 1) nodes[`n${i}`] = { type: 'noop', needs: ['root'] };
  const big = { id: 'fanout', nodes };
  const small = {
    id: 'chain',
    nodes: { a: { type: 'noop' }, b: { type: 'noop', needs: ['a'] }, c: { type: 'noop', needs: ['b'] } },
  };
  for (const [tenant, body] of [
    ['big', big],
    ['small', small],
  ] as const) {
    await publishDefinition(
      { definitions, clock: systemClock },
      { tenant, workflowId: body.id, version: '1.0.0', body },
    );
  }
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      const batch = await memoryQueue.receive({ max: 10 });
      if (batch.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      await Promise.all(
        batch.map(async (message) => {
          try {
            const result = await engine.handleMessage(message.body);
            if (result.kind === 'done') await memoryQueue.delete(message.receipt);
          } catch (error) {
            // As a crashed Lambda: the message comes back after its visibility timeout.
            process.stderr.write(`handler error: ${(error as Error).message}\n`);
            await memoryQueue.changeVisibility(message.receipt, 1);
          }
        }),
      );
    }
  };
  const pollers = Array.from({ length: WORKERS }, poll);
  const start = performance.now();
  let smallStart = 0;
  const smallStarted = new Promise<string>((resolve) => {
    afterFanOut = () => {
      afterFanOut = undefined;
      smallStart = performance.now();
      void engine.startRun({ tenant: 'small', workflow: 'chain' }).then(({ run }) => {
        smallRun = run.runId;
        resolve(run.runId);
      });
    };
  });
  bigRun = (await engine.startRun({ tenant: 'big', workflow: 'fanout' })).run.runId;
  await smallStarted;
  while (!ended.has(smallRun) || !ended.has(bigRun)) await new Promise((r) => setTimeout(r, 5));
  stopped = true;
  await Promise.all(pollers);
  await sandbox.close();
  const row = {
    store: label,
    queue: fair ? 'fair (tenant groups)' : 'one line (no groups)',
    smallMs: Math.round((ended.get(smallRun) ?? 0) - smallStart),
    bigDoneAtSmallEnd,
    bigMs: Math.round((ended.get(bigRun) ?? 0) - start),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  return row;
}

const rows: FairnessRow[] = [];
rows.push(await measure('memory', new MemoryRunStore(), false));
rows.push(await measure('memory', new MemoryRunStore(), true));
if (values.dynamodb) {
  const db = await startDynamoDbLocal();
  try {
    const { client, doc } = dynamoClients(db.endpoint);
    for (const fair of [false, true]) {
      const tables = { definitions: `fair-d-${fair}`, control: `fair-c-${fair}`, runs: `fair-r-${fair}` };
      await createTables(client, tables);
      rows.push(
        await measure('DynamoDB Local', new DynamoDbRunStore({ client: doc, tableName: tables.runs }), fair),
      );
    }
  } finally {
    await db.stop();
  }
}
if (values.local) {
  const db = await startDynamoDbLocal();
  try {
    for (const fair of [false, true]) rows.push(await measureLocal(db.endpoint, FANOUT, fair));
  } finally {
    await db.stop();
  }
}

const flags = [`--fanout ${FANOUT}`, values.dynamodb ? '--dynamodb' : '', values.local ? '--local' : '']
  .filter(Boolean)
  .join(' ');
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(' / ');
const ratios = [...new Set(rows.map((row) => row.store))].map((store) => {
  const [line, fair] = [false, true].map((isFair) =>
    rows.find((row) => row.store === store && row.queue.startsWith(isFair ? 'fair' : 'one line')),
  );
  return `${store} ${((line?.smallMs ?? 0) / Math.max(1, fair?.smallMs ?? 0)).toFixed(0)}×`;
});
const report = [
  `Measured by \`npx tsx bench/fairness.bench.ts ${flags}\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, load average ${load} at the end. Noisy on this shared machine: compare ratios from the same run.`,
  '',
  `Tenant "big" queues a fan-out of ${FANOUT} noop nodes, then tenant "small" starts a 3-node chain (noop). In memory and on DynamoDB Local the engine runs with ${WORKERS} in-process pollers of 10 on the memory queue, fair (tenant groups) or one line (groups stripped), and the fan-out is a root with ${FANOUT - 1} children; the local runtime is \`npm start\`'s (fauxqs behind a \`FairQueue\`, the worker handler fed by 2 pollers of 10), with 16 tenant buckets or 1, and the fan-out is ${FANOUT} roots.`,
  '',
  '| store | queue | small run latency | fan-out nodes done when the small run ended | fan-out run total |',
  '|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.store} | ${row.queue} | ${row.smallMs} ms | ${row.bigDoneAtSmallEnd} | ${row.bigMs} ms |`,
  ),
  '',
  `Small run latency, one line ÷ fair: ${ratios.join(', ')}.`,
].join('\n');
const results = new URL('RESULTS.md', import.meta.url);
writeFileSync(
  results,
  replaceSection(readFileSync(results, 'utf8'), 'fairness', `## Fairness between tenants\n\n${report}`),
);
process.stdout.write(`\n${report}\n\nwrote the fairness section of bench/RESULTS.md\n`);
