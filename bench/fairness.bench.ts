// Fairness between tenants (`npx tsx bench/fairness.bench.ts [--fanout 10000] [--dynamodb]`): tenant
// "big" starts a fan-out of noop nodes, then tenant "small" starts a 3-node chain; measured is the
// small run's latency, with the queue serving tenants in turn (messages carry the tenant as their
// group, as SQS fair queues use it) and without (groups stripped: one first-in-first-out line).
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

silenceSdkNodeVersionNotice();
const { values } = parseArgs({
  options: { fanout: { type: 'string', default: '10000' }, dynamodb: { type: 'boolean', default: false } },
});
const FANOUT = Number(values.fanout);
const WORKERS = 8;

async function measure(label: string, runs: RunStore, fair: boolean) {
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
      if (event.type === 'run.succeeded' || event.type === 'run.failed')
        ended.set(event.runId, performance.now());
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
      void engine.startRun({ tenant: 'small', workflow: 'chain' }).then(({ run }) => resolve(run.runId));
    };
  });
  const bigRun = (await engine.startRun({ tenant: 'big', workflow: 'fanout' })).run.runId;
  const smallRun = await smallStarted;
  while (!ended.has(smallRun) || !ended.has(bigRun)) await new Promise((r) => setTimeout(r, 5));
  stopped = true;
  await Promise.all(pollers);
  await sandbox.close();
  const row = {
    store: label,
    queue: fair ? 'fair (tenant groups)' : 'one line (no groups)',
    smallMs: Math.round((ended.get(smallRun) ?? 0) - smallStart),
    bigMs: Math.round((ended.get(bigRun) ?? 0) - start),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  return row;
}

const rows = [];
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
process.stdout.write(
  `\nFan-out of ${FANOUT} (tenant big), then a 3-node chain (tenant small); ${WORKERS} pollers of 10\n`,
);
process.stdout.write('| store | queue | small run latency | fan-out run total |\n|---|---|---|---|\n');
for (const row of rows)
  process.stdout.write(`| ${row.store} | ${row.queue} | ${row.smallMs} ms | ${row.bigMs} ms |\n`);
