import { describe, expect, it } from 'vitest';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { blank, created, EXPIRES, newId, nodeIn, runRecord } from './run-fixtures.ts';
import { describeListingsContract } from './run-store-listings.contract.ts';
import { describeLogsContract } from './run-store-logs.contract.ts';
import { describeNodeChangesContract } from './run-store-node-changes.contract.ts';
import { describeNodesContract } from './run-store-nodes.contract.ts';
import { describeRunsContract } from './run-store-runs.contract.ts';

/**
 * The RunStore contract, run against every adapter. Each test works on fresh run ids and
 * tenants, so adapters may share one table between tests; `listActiveRuns` spans every tenant,
 * so its tests look only at their own runs.
 */
export function describeRunStoreContract(name: string, makeStore: () => Promise<RunStore>) {
  describe(`RunStore contract: ${name}`, () => {
    describeRunsContract(makeStore);
    describeListingsContract(makeStore);
    describeNodesContract(makeStore);
    describeNodeChangesContract(makeStore);
    describeLogsContract(makeStore);

    describe('done-sets', () => {
      it('adds members once and reports the size after each call', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();

        // Act
        const results = [];
        for (const member of [3, 0, 3, 7, 0])
          results.push(await store.addDone(runId, '0#0', member, EXPIRES));

        // Assess
        expect(results).toEqual([
          { applied: true, size: 1 },
          { applied: true, size: 2 },
          { applied: false, size: 2 },
          { applied: true, size: 3 },
          { applied: false, size: 3 },
        ]);
      });

      it('keeps separate sets per key and per run, and counts concurrent adds exactly', async () => {
        // Prepare
        const store = await makeStore();
        const [runA, runB] = [newId(), newId()];
        await store.addDone(runA, '0#0', 1, EXPIRES);

        // Act
        const otherKey = await store.addDone(runA, '1#0', 1, EXPIRES);
        const otherRun = await store.addDone(runB, '0#0', 1, EXPIRES);
        const burst = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.addDone(runA, '0#top', i, EXPIRES)),
        );

        // Assess
        expect(otherKey).toEqual({ applied: true, size: 1 });
        expect(otherRun).toEqual({ applied: true, size: 1 });
        expect(burst.every((result) => result.applied)).toBe(true);
        expect(burst.map((result) => result.size).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
      });
    });

    describe('node reads', () => {
      it('gets the nodes that exist among 100 ids', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        const ids = Array.from({ length: 100 }, (_, i) => `n${String(i).padStart(3, '0')}`);
        const existing = ids.filter((_, i) => i % 3 === 0);
        await Promise.all(
          existing.map((nodeId) => nodeIn(store, runId, nodeId, { status: 'SUCCEEDED', output: { nodeId } })),
        );
        await nodeIn(store, newId(), 'n000', { status: 'FAILED' });

        // Act
        const nodes = await store.getNodes(runId, ids);

        // Assess
        expect(nodes.map((node) => node.nodeId).sort()).toEqual(existing);
        expect(nodes.every((node) => node.runId === runId && node.status === 'SUCCEEDED')).toBe(true);
        expect(nodes.find((node) => node.nodeId === 'n003')?.output).toEqual({ nodeId: 'n003' });
      });

      it('gets each node once when ids repeat, and refuses more than 100 ids', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        await nodeIn(store, runId, 'a', { status: 'READY' });

        // Act
        const nodes = await store.getNodes(runId, ['a', 'a', 'b', 'a']);
        const tooMany = store.getNodes(
          runId,
          Array.from({ length: 101 }, (_, i) => `n${i}`),
        );

        // Assess
        expect(nodes.map((node) => node.nodeId)).toEqual(['a']);
        await expect(tooMany).rejects.toThrow();
      });

      it('lists every node item of a run, and nothing else of it or of another run', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        const run = await created(store, runRecord({ runId }));
        await nodeIn(store, runId, 'a', { status: 'SUCCEEDED' });
        await store.arrive(runId, 'b', 'a', 'SUCCEEDED', EXPIRES);
        await store.resetNode(runId, 'c', { arrived: [], failedParents: [], skippedParents: [] }, EXPIRES, 1);
        await store.addDone(runId, '0#0', 1, EXPIRES);
        await nodeIn(store, newId(), 'a', { status: 'READY' });

        // Act
        const nodes = await store.listNodes(run.runId);

        // Assess
        expect(nodes.map((node) => node.nodeId).sort()).toEqual(['a', 'b', 'c']);
        expect(nodes.find((node) => node.nodeId === 'b')).toEqual({ ...blank(runId, 'b'), arrived: ['a'] });
      });
    });
  });
}
