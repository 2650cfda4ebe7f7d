// The local runtime's part of the fairness benchmark (`bench/fairness.bench.ts --local`): the
// runtime `npm start` runs (fauxqs behind a FairQueue, DynamoDB Local, the worker handler fed by
// the local SQS event source), with 16 tenant buckets (fair) or 1 (every tenant in one line).
import { dynamoClients } from '../functions/local/dynamodb-local.ts';
import { startLocalRuntime } from '../functions/local/runtime.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryDefinitionStore } from '../shared/adapters/memory/definition-store.ts';
import type { EngineEvent } from '../shared/engine/context.ts';
import { publishDefinition } from '../shared/engine/publish-definition.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { randomIds } from '../shared/ports/ids.ts';

export interface FairnessRow {
  readonly store: string;
  readonly queue: string;
  /** From the small run's start to its end. */
  readonly smallMs: number;
  /** Nodes of the fan-out done when the small run ended. */
  readonly bigDoneAtSmallEnd: number;
  /** From the fan-out's start to its end. */
  readonly bigMs: number;
}

/**
 * Tenant "big" starts `fanout` noop roots (all queued when its start returns), then tenant
 * "small" starts a 3-node chain; both on the local runtime over DynamoDB Local at `endpoint`.
 * @example await measureLocal(db.endpoint, 2_000, true)
 */
export async function measureLocal(endpoint: string, fanout: number, fair: boolean): Promise<FairnessRow> {
  const { client, doc } = dynamoClients(endpoint);
  const suffix = fair ? 'fair' : 'line';
  const tables = { definitions: `fl-d-${suffix}`, control: `fl-c-${suffix}`, runs: `fl-r-${suffix}` };
  await createTables(client, tables);
  const definitions = new MemoryDefinitionStore();
  const roots = Object.fromEntries(Array.from({ length: fanout }, (_, i) => [`n${i}`, { type: 'noop' }]));
  const chain = { a: { type: 'noop' }, b: { type: 'noop', needs: ['a'] }, c: { type: 'noop', needs: ['b'] } };
  for (const [tenant, workflowId, nodes] of [
    ['big', 'fanout', roots],
    ['small', 'chain', chain],
  ] as const) {
    await publishDefinition(
      { definitions, clock: systemClock },
      { tenant, workflowId, version: '1.0.0', body: { id: workflowId, nodes } },
    );
  }
  const ended = new Map<string, number>();
  let bigRun = '';
  let bigDone = 0;
  let bigDoneAtSmallEnd = 0;
  let smallRun = '';
  let bothEnded = () => {};
  const finished = new Promise<void>((resolve) => {
    bothEnded = resolve;
  });
  const observer = (event: EngineEvent) => {
    if (event.type === 'node.succeeded' && event.runId === bigRun) bigDone += 1;
    if (event.type !== 'run.succeeded') return;
    ended.set(event.runId, performance.now());
    if (event.runId === smallRun) bigDoneAtSmallEnd = bigDone;
    if (ended.has(bigRun) && ended.has(smallRun)) bothEnded();
  };
  const runtime = await startLocalRuntime({
    doc,
    runsTable: tables.runs,
    definitions,
    clock: systemClock,
    ids: randomIds,
    observer,
    sweepEveryMs: 3_600_000,
    tenantBuckets: fair ? 16 : 1,
  });
  try {
    const start = performance.now();
    bigRun = (await runtime.engine.startRun({ tenant: 'big', workflow: 'fanout' })).run.runId;
    const smallStart = performance.now();
    smallRun = (await runtime.engine.startRun({ tenant: 'small', workflow: 'chain' })).run.runId;
    await finished;
    return {
      store: 'local runtime (fauxqs, DynamoDB Local)',
      queue: fair ? 'fair (16 tenant buckets)' : 'one line (1 bucket)',
      smallMs: Math.round((ended.get(smallRun) ?? 0) - smallStart),
      bigDoneAtSmallEnd,
      bigMs: Math.round((ended.get(bigRun) ?? 0) - start),
    };
  } finally {
    await runtime.stop();
    client.destroy();
  }
}
