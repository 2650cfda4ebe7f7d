import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { SINKS_PER_SHARD } from '../../../shared/engine/plan.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

const N = 100;

/** Store calls by method made while one run of `nodes` went from start to end. */
async function costOf(nodes: Record<string, object>) {
  const store = new MemoryRunStore();
  const harness = new WorkflowHarness({ runs: store });
  await harness.publish({ id: 'shape', nodes });
  const before = new Map(store.calls);
  const runId = await harness.start('shape');
  await harness.drain();
  const after = new Map(store.calls);
  const calls = (method: string) => (after.get(method) ?? 0) - (before.get(method) ?? 0);
  const run = await harness.view(runId);
  const count = Object.keys(nodes).length;
  // The claim is a `tryUpdateNode` (a lost one reads nothing more), the other node writes `updateNode`.
  const nodeWrites = calls('updateNode') + calls('tryUpdateNode');
  return {
    run,
    count,
    nodeWrites,
    writes: nodeWrites + calls('arrive') + calls('addDone'),
    calls,
  };
}

function chain(size: number) {
  const nodes: Record<string, object> = { n0: { type: 'noop' } };
  for (let i = 1; i < size; i += 1) nodes[`n${i}`] = { type: 'noop', needs: [`n${i - 1}`] };
  return nodes;
}

function fanOut(size: number) {
  const nodes: Record<string, object> = { root: { type: 'noop' } };
  for (let i = 0; i < size; i += 1) nodes[`s${i}`] = { type: 'noop', needs: ['root'] };
  return nodes;
}

function fanIn(size: number) {
  const nodes: Record<string, object> = {};
  for (let i = 0; i < size; i += 1) nodes[`p${i}`] = { type: 'noop' };
  nodes.join = { type: 'noop', needs: Object.keys(nodes) };
  return nodes;
}

describe('per-node cost on the happy path', () => {
  it('writes a claim and a completion per node of a 100-node chain, plus one sink count', async () => {
    // Act
    const cost = await costOf(chain(N));

    // Assess
    expect(cost.run.status).toBe('SUCCEEDED');
    expect(cost.nodeWrites).toBe(2 * N);
    expect(cost.calls('tryUpdateNode')).toBe(N); // the claims
    expect(cost.calls('getNode')).toBe(0);
    expect(cost.calls('arrive')).toBe(0);
    expect(cost.calls('addDone')).toBe(1);
    expect(cost.writes).toBeLessThanOrEqual(3 * cost.count);
    // One run check per message, one more to end the run.
    expect(cost.calls('getRun')).toBeLessThanOrEqual(cost.count + 2);
    expect(cost.calls('listNodes')).toBe(0);
    expect(cost.calls('updateRun')).toBe(1);
  });

  it('writes a claim, a completion and a sink count per node of a 1→100 fan-out', async () => {
    // Act
    const cost = await costOf(fanOut(N));

    // Assess
    expect(cost.run.status).toBe('SUCCEEDED');
    expect(cost.nodeWrites).toBe(2 * cost.count);
    expect(cost.calls('arrive')).toBe(0);
    // One count per sink, plus one per full shard of 64 sinks in the shard index.
    const shards = Math.ceil(N / SINKS_PER_SHARD);
    expect(cost.calls('addDone')).toBe(N + shards);
    expect(cost.writes).toBeLessThanOrEqual(3 * cost.count + shards);
    expect(cost.calls('getRun')).toBeLessThanOrEqual(cost.count + 2);
    expect(cost.calls('listNodes')).toBe(0);
  });

  it('writes one arrival per edge into a 100→1 join, sending the join once', async () => {
    // Act
    const cost = await costOf(fanIn(N));

    // Assess
    expect(cost.run.status).toBe('SUCCEEDED');
    expect(cost.run.nodes.join).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(cost.nodeWrites).toBe(2 * cost.count);
    expect(cost.calls('arrive')).toBe(N);
    expect(cost.calls('addDone')).toBe(1);
    expect(cost.writes).toBeLessThanOrEqual(3 * cost.count);
    expect(cost.calls('getRun')).toBeLessThanOrEqual(cost.count + 2);
    expect(cost.calls('listNodes')).toBe(0);
  });

  it('costs ten times as much for ten times the nodes', async () => {
    // Act
    const small = await costOf(chain(50));
    const large = await costOf(chain(500));

    // Assess
    // Less the one sink count each run makes.
    expect(large.writes - 1).toBe(10 * (small.writes - 1));
    // Less the one read that ends each run.
    expect(large.calls('getRun') - 1).toBe(10 * (small.calls('getRun') - 1));
  });
});
