import { describe, expect, it } from 'vitest';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { blank, EXPIRES, newId, nodeIn, sorted } from './run-fixtures.ts';

/** Part of the RunStore contract (`run-store.contract.ts`): arrivals and the conditions of node writes. */
export function describeNodesContract(makeStore: () => Promise<RunStore>) {
  describe('arrivals', () => {
    it('creates the node item with the first arrival, without a status', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      const result = await store.arrive(runId, 'join', 'a', 'SUCCEEDED', EXPIRES);

      // Assess
      const expected = { ...blank(runId, 'join'), arrived: ['a'] };
      expect(result).toEqual({ applied: true, node: expected });
      expect(await store.getNode(runId, 'join')).toEqual(expected);
    });

    it('records each outcome in its own set', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      await store.arrive(runId, 'join', 'ok', 'SUCCEEDED', EXPIRES);
      await store.arrive(runId, 'join', 'bad', 'FAILED', EXPIRES);
      const last = await store.arrive(runId, 'join', 'gone', 'SKIPPED', EXPIRES);

      // Assess
      const expected = {
        ...blank(runId, 'join'),
        arrived: ['bad', 'gone', 'ok'],
        failedParents: ['bad'],
        skippedParents: ['gone'],
      };
      expect(sorted(last.node)).toEqual(expected);
      expect(sorted(await store.getNode(runId, 'join'))).toEqual(expected);
    });

    it('refuses a parent that already arrived and returns the current item', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'join', 'a', 'FAILED', EXPIRES);
      const claimed = await store.updateNode(
        runId,
        'join',
        { status: ['ABSENT'] },
        { set: { status: 'READY' } },
        EXPIRES,
      );

      // Act
      const again = await store.arrive(runId, 'join', 'a', 'SUCCEEDED', EXPIRES);

      // Assess
      expect(again).toEqual({ applied: false, node: claimed });
      expect(await store.getNode(runId, 'join')).toEqual(claimed);
    });

    it('applies 50 concurrent arrivals of distinct parents, and exactly one sees all 50', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const parents = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, '0')}`);

      // Act
      const results = await Promise.all(
        parents.map((parent) => store.arrive(runId, 'join', parent, 'SUCCEEDED', EXPIRES)),
      );

      // Assess
      expect(results.every((result) => result.applied)).toBe(true);
      expect(results.filter((result) => result.node.arrived.length === 50)).toHaveLength(1);
      expect(sorted(await store.getNode(runId, 'join'))?.arrived).toEqual(parents);
    });
  });

  describe('node conditions', () => {
    it('creates a node item when ABSENT is accepted and there is none', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      const node = await store.updateNode(
        runId,
        'a',
        { status: ['ABSENT'] },
        { set: { status: 'READY' } },
        EXPIRES,
      );

      // Assess
      const expected = { ...blank(runId, 'a'), status: 'READY' };
      expect(node).toEqual(expected);
      expect(await store.getNode(runId, 'a')).toEqual(expected);
    });

    it('accepts ABSENT on an item that only has arrivals, keeping them', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'join', 'a', 'SKIPPED', EXPIRES);

      // Act
      const node = await store.updateNode(
        runId,
        'join',
        { status: ['ABSENT'] },
        { set: { status: 'READY' } },
        EXPIRES,
      );

      // Assess
      expect(node).toEqual({
        ...blank(runId, 'join'),
        status: 'READY',
        arrived: ['a'],
        skippedParents: ['a'],
      });
    });

    it('accepts only the listed statuses and leaves a refused node unchanged', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const ready = await nodeIn(store, runId, 'a', { status: 'READY' });

      // Act
      const asAbsent = await store.updateNode(
        runId,
        'a',
        { status: ['ABSENT'] },
        { set: { status: 'RUNNING' } },
        EXPIRES,
      );
      const asOther = await store.updateNode(
        runId,
        'a',
        { status: ['RUNNING', 'PARKED'] },
        { set: { status: 'SUCCEEDED' } },
        EXPIRES,
      );
      const unchanged = await store.getNode(runId, 'a');
      const accepted = await store.updateNode(
        runId,
        'a',
        { status: ['PARKED', 'READY'] },
        { set: { status: 'RUNNING' } },
        EXPIRES,
      );

      // Assess
      expect([asAbsent, asOther]).toEqual([undefined, undefined]);
      expect(unchanged).toEqual(ready);
      expect(accepted).toEqual({ ...ready, status: 'RUNNING' });
    });

    it('refuses a node that is not there unless ABSENT is accepted, and accepts nothing for no status', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      const ready = await store.updateNode(
        runId,
        'a',
        { status: ['READY'] },
        { set: { status: 'RUNNING' } },
        EXPIRES,
      );
      const none = await store.updateNode(
        runId,
        'a',
        { status: [] },
        { set: { status: 'RUNNING' } },
        EXPIRES,
      );

      // Assess
      expect([ready, none]).toEqual([undefined, undefined]);
      expect(await store.getNode(runId, 'a')).toBeUndefined();
    });

    it('requires the fence when one is given', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await nodeIn(store, runId, 'a', { status: 'RUNNING' }, { bumpFence: true });

      // Act
      const stale = await store.updateNode(
        runId,
        'a',
        { status: ['RUNNING'], fence: 0 },
        { set: { status: 'SUCCEEDED' } },
        EXPIRES,
      );
      const current = await store.updateNode(
        runId,
        'a',
        { status: ['RUNNING'], fence: 1 },
        { set: { status: 'SUCCEEDED' } },
        EXPIRES,
      );
      const missing = await store.updateNode(
        runId,
        'b',
        { status: ['ABSENT'], fence: 0 },
        { set: { status: 'READY' } },
        EXPIRES,
      );

      // Assess
      expect(stale).toBeUndefined();
      expect(current).toMatchObject({ status: 'SUCCEEDED', fence: 1 });
      expect(missing).toBeUndefined();
      expect(await store.getNode(runId, 'b')).toBeUndefined();
    });

    it('also accepts RETRY_WAIT or WAITING that is due, at or before the time given', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const wakeAt = '2026-01-01T00:10:00.000Z';
      await nodeIn(store, runId, 'retry', { status: 'RETRY_WAIT', wakeAt });
      await nodeIn(store, runId, 'wait', { status: 'WAITING', wakeAt });
      await nodeIn(store, runId, 'later', { status: 'WAITING', wakeAt: '2026-01-01T00:10:00.001Z' });
      await nodeIn(store, runId, 'parked', { status: 'PARKED', wakeAt });
      const claim = (nodeId: string) =>
        store.updateNode(
          runId,
          nodeId,
          { status: ['READY'], orDueBefore: wakeAt },
          { set: { status: 'RUNNING' } },
          EXPIRES,
        );

      // Act
      const [retry, wait, later, parked] = await Promise.all(['retry', 'wait', 'later', 'parked'].map(claim));

      // Assess
      expect(retry?.status).toBe('RUNNING');
      expect(wait?.status).toBe('RUNNING');
      expect(later).toBeUndefined();
      expect(parked).toBeUndefined();
    });

    it('also accepts RUNNING whose lease ended before the time given', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const now = '2026-01-01T00:10:00.000Z';
      await nodeIn(store, runId, 'expired', { status: 'RUNNING', leaseUntil: '2026-01-01T00:09:59.999Z' });
      await nodeIn(store, runId, 'endsNow', { status: 'RUNNING', leaseUntil: now });
      await nodeIn(store, runId, 'held', { status: 'RUNNING', leaseUntil: '2026-01-01T00:11:00.000Z' });
      await nodeIn(store, runId, 'retry', { status: 'RETRY_WAIT', leaseUntil: '2026-01-01T00:00:00.000Z' });
      const takeOver = (nodeId: string) =>
        store.updateNode(
          runId,
          nodeId,
          { status: ['READY'], orLeaseExpiredBefore: now },
          { bumpFence: true },
          EXPIRES,
        );

      // Act
      const [expired, endsNow, held, retry] = await Promise.all(
        ['expired', 'endsNow', 'held', 'retry'].map(takeOver),
      );

      // Assess
      expect(expired).toMatchObject({ status: 'RUNNING', fence: 1 });
      expect([endsNow, held, retry]).toEqual([undefined, undefined, undefined]);
    });

    it('requires exactly the arrived count given, counting a missing item or set as 0', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'join', 'a', 'SUCCEEDED', EXPIRES);
      const claim = (nodeId: string, arrivedCount: number) =>
        store.updateNode(
          runId,
          nodeId,
          { status: ['ABSENT'], arrivedCount },
          { set: { status: 'RUNNING' } },
          EXPIRES,
        );

      // Act
      const zeroOfOne = await claim('join', 0);
      const twoOfOne = await claim('join', 2);
      const zeroOfNone = await claim('root', 0);
      await store.arrive(runId, 'join', 'b', 'SUCCEEDED', EXPIRES);
      const twoOfTwo = await claim('join', 2);

      // Assess
      expect([zeroOfOne, twoOfOne]).toEqual([undefined, undefined]);
      expect(zeroOfNone).toEqual({ ...blank(runId, 'root'), status: 'RUNNING' });
      expect(sorted(twoOfTwo)).toEqual({ ...blank(runId, 'join'), status: 'RUNNING', arrived: ['a', 'b'] });
    });

    it('lets exactly one of 10 concurrent claims win', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await nodeIn(store, runId, 'a', { status: 'READY' });
      const claim = (n: number) =>
        store.updateNode(
          runId,
          'a',
          { status: ['READY'], orLeaseExpiredBefore: '2000-01-01T00:00:00.000Z' },
          { set: { status: 'RUNNING', token: `m${n}` }, addAttempt: 1, bumpFence: true },
          EXPIRES,
        );

      // Act
      const results = await Promise.all(Array.from({ length: 10 }, (_, n) => claim(n)));

      // Assess
      const winners = results.filter((node) => node !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ status: 'RUNNING', attempt: 1, fence: 1 });
      expect(await store.getNode(runId, 'a')).toEqual(winners[0]);
    });
  });

  describe('map items', () => {
    const seed = (seededBy: number, more: object = {}) => ({
      item: { url: 'a.png' },
      itemHash: 'h1',
      lane: 0,
      lanes: 2,
      next: 2,
      seededBy,
      epoch: 0,
      ...more,
    });

    it('seeds an item, clears what an earlier round left on it, and refuses an older or equal round', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.updateNode(
        runId,
        'each[0]',
        { status: ['ABSENT'] },
        { set: { status: 'FAILED', error: { code: 'X', message: 'x' } }, addAttempt: 2 },
        EXPIRES,
      );

      // Act
      const seeded = await store.seedItem(runId, 'each[0]', seed(5), EXPIRES);
      const older = await store.seedItem(runId, 'each[0]', seed(4, { itemHash: 'h2' }), EXPIRES);
      const same = await store.seedItem(runId, 'each[0]', seed(5, { itemHash: 'h3' }), EXPIRES);
      const last = await store.seedItem(runId, 'each[0]', seed(6, { next: undefined }), EXPIRES);

      // Assess
      expect([seeded, older, same, last]).toEqual([true, false, false, true]);
      const item = await store.getNode(runId, 'each[0]');
      expect(item).toMatchObject({ nodeId: 'each[0]', attempt: 0, fence: 2, item: { url: 'a.png' } });
      expect(item).toMatchObject({ itemHash: 'h1', lane: 0, lanes: 2, seededBy: 6, epoch: 0 });
      expect(item?.status).toBeUndefined();
      expect(item?.error).toBeUndefined();
      expect(item?.next).toBeUndefined();
    });

    it("lists a map's items in index order, a page from an index on, and never among the nodes", async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      for (const index of [10, 2, 0, 1, 11]) {
        await store.seedItem(runId, `each[${index}]`, seed(1, { item: index }), EXPIRES);
      }
      await store.seedItem(runId, 'other[0]', seed(1), EXPIRES);
      await nodeIn(store, runId, 'each', { status: 'WAITING' });

      // Act
      const all = await store.listItems(runId, 'each');
      const page = await store.listItems(runId, 'each', { fromIndex: 2, limit: 2 });
      const nodes = await store.listNodes(runId);

      // Assess
      expect(all.map((item) => item.nodeId)).toEqual([
        'each[0]',
        'each[1]',
        'each[2]',
        'each[10]',
        'each[11]',
      ]);
      expect(page.map((item) => item.item)).toEqual([2, 10]);
      expect(nodes.map((node) => node.nodeId)).toEqual(['each']);
    });

    it('claims and completes an item by its id like any node', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.seedItem(runId, 'each[3]', seed(1), EXPIRES);

      // Act
      const claim = await store.tryUpdateNode(
        runId,
        'each[3]',
        { status: ['ABSENT'], epoch: 0 },
        { set: { status: 'RUNNING', token: 't' }, addAttempt: 1, bumpFence: true },
        EXPIRES,
      );
      const done = await store.updateNode(
        runId,
        'each[3]',
        { status: ['RUNNING'], fence: 2, epoch: 0 },
        { set: { status: 'SUCCEEDED', output: { ok: 1 } } },
        EXPIRES,
      );

      // Assess
      expect(claim).toMatchObject({
        applied: true,
        node: { status: 'RUNNING', item: { url: 'a.png' }, next: 2 },
      });
      expect(done).toMatchObject({ status: 'SUCCEEDED', output: { ok: 1 }, lane: 0, seededBy: 1 });
    });
  });
}
