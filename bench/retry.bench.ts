// Retry at scale (`npx tsx bench/retry.bench.ts [sizes...]`): a fan-out whose root fails once, so
// every node must be reset, on the memory store and on DynamoDB Local. Measures how long the
// retry call takes to answer, how long until every node is reset and the run is RUNNING again,
// how many store writes the retry made, and how long the rerun took to finish.
import { performance } from 'node:perf_hooks';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryRunStore } from '../shared/adapters/memory/run-store.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { FakeClock } from '../shared/ports/clock.ts';
import { ExecutorRegistry } from '../shared/ports/executors.ts';
import { RUN_STORE_WRITES, type RunStore } from '../shared/ports/run-store.ts';
import { TENANT, WorkflowHarness } from '../shared/testing/workflow-harness.ts';

silenceSdkNodeVersionNotice();
const sizes = process.argv.slice(2).map(Number).filter(Number.isFinite);
const SIZES = sizes.length > 0 ? sizes : [2_000, 10_000];
const WRITES = RUN_STORE_WRITES;

/** Counts the writes a store receives while `counting` is on. */
function countingWrites(store: RunStore) {
  const state = { on: false, writes: 0 };
  const proxy: RunStore = Object.create(store);
  for (const method of WRITES) {
    const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
    (proxy as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      if (state.on) state.writes += 1;
      return original(...args);
    };
  }
  return { store: proxy, state };
}

function wide(size: number) {
  const nodes: Record<string, object> = { root: { type: 'noop' } };
  for (let i = 1; i < size; i += 1) nodes[`n${i}`] = { type: 'noop', needs: ['root'] };
  return { id: 'wide', nodes };
}

async function measure(label: string, store: RunStore, size: number) {
  const counting = countingWrites(store);
  let failRoot = true;
  const executors = new ExecutorRegistry().register({
    type: 'noop',
    execute: async (request) => {
      if (request.ctx.nodeId === 'root' && failRoot) {
        failRoot = false;
        return { kind: 'failed', error: { code: 'ONCE', message: 'fails once', retryable: false } };
      }
      return { kind: 'succeeded', output: null };
    },
  });
  const harness = new WorkflowHarness({
    runs: counting.store,
    executors,
    clock: new FakeClock(Date.UTC(2100, 0, 1)),
  });
  await harness.publish(wide(size));
  const runId = await harness.start('wide');
  await harness.drain();
  const failed = await harness.engine.getRunRecord(TENANT, runId);

  counting.state.on = true;
  const start = performance.now();
  const answered = await harness.engine.retry(TENANT, runId);
  const answeredMs = performance.now() - start;
  // Background slices (control messages) until the run is RUNNING again, then the rerun itself.
  while ((await harness.engine.getRunRecord(TENANT, runId)).status === 'QUEUED') {
    if ((await harness.step()) === 0) throw new Error('the retry stalled');
  }
  const resetMs = performance.now() - start;
  const retryWrites = counting.state.writes;
  await harness.drain();
  const doneMs = performance.now() - start;
  const view = await harness.view(runId);
  const line = {
    store: label,
    nodes: size,
    failed: failed.status,
    answered: `${answered.status} in ${answeredMs.toFixed(0)} ms`,
    resetMs: Math.round(resetMs),
    retryWrites,
    rerunMs: Math.round(doneMs),
    final: `${view.status} ${JSON.stringify(view.progress.byStatus)}`,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return line;
}

const rows = [];
for (const size of SIZES) rows.push(await measure('memory', new MemoryRunStore(), size));
const db = await startDynamoDbLocal();
try {
  const { client, doc } = dynamoClients(db.endpoint);
  for (const [index, size] of SIZES.entries()) {
    const tables = {
      definitions: `retry-defs-${index}`,
      control: `retry-control-${index}`,
      runs: `retry-runs-${index}`,
    };
    await createTables(client, tables);
    rows.push(
      await measure('DynamoDB Local', new DynamoDbRunStore({ client: doc, tableName: tables.runs }), size),
    );
  }
} finally {
  await db.stop();
}
process.stdout.write(
  '\n| store | nodes | retry answered | all reset, RUNNING again | writes of the retry | rerun finished | final |\n',
);
process.stdout.write('|---|---|---|---|---|---|---|\n');
for (const row of rows) {
  process.stdout.write(
    `| ${row.store} | ${row.nodes} | ${row.answered} | ${row.resetMs} ms | ${row.retryWrites} | ${row.rerunMs} ms | ${row.final} |\n`,
  );
}
