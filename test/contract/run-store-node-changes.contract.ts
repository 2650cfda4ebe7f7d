import { describe, expect, it } from 'vitest';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { blank, EXPIRES, newId, nodeIn } from './run-fixtures.ts';

/** Part of the RunStore contract (`run-store.contract.ts`): what a node write changes, and `resetNode`. */
export function describeNodeChangesContract(makeStore: () => Promise<RunStore>) {
  describe('node changes', () => {
    it('sets fields, outputs and errors of any JSON shape, and removes fields', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const output = { rows: [{ id: 2 ** 60, price: 0.1 }], empty: [], text: '', nothing: null };
      const error = { code: 'HTTP_500', message: 'upstream failed' };
      const full = await nodeIn(store, runId, 'a', {
        status: 'FAILED',
        token: 'm1',
        leaseUntil: 'l',
        via: 'SKIPPED',
        output,
        error,
        reason: 'r',
        endedAt: 'e',
        wakeAt: 'w',
      });

      // Act
      const trimmed = await store.updateNode(
        runId,
        'a',
        { status: ['FAILED'] },
        {
          set: { status: 'READY', output: 'ignored' },
          remove: ['leaseUntil', 'error', 'wakeAt', 'output', 'reason', 'endedAt'],
        },
        EXPIRES,
      );

      // Assess
      expect(full).toEqual({
        ...blank(runId, 'a'),
        ...{ status: 'FAILED', token: 'm1', leaseUntil: 'l', via: 'SKIPPED', output, error },
        ...{ reason: 'r', endedAt: 'e', wakeAt: 'w' },
      });
      expect(trimmed).toEqual({ ...blank(runId, 'a'), status: 'READY', token: 'm1', via: 'SKIPPED' });
      expect(await store.getNode(runId, 'a')).toEqual(trimmed);
    });

    it('keeps the first start time and adds to attempt and fence', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const claim = (at: string) =>
        store.updateNode(
          runId,
          'a',
          { status: ['ABSENT', 'RETRY_WAIT'] },
          { set: { status: 'RUNNING' }, startedAtIfAbsent: at, addAttempt: 1, bumpFence: true },
          EXPIRES,
        );

      // Act
      const first = await claim('t1');
      await store.updateNode(
        runId,
        'a',
        { status: ['RUNNING'], fence: 1 },
        { set: { status: 'RETRY_WAIT' } },
        EXPIRES,
      );
      const second = await claim('t2');

      // Assess
      expect(first).toMatchObject({ startedAt: 't1', attempt: 1, fence: 1 });
      expect(second).toMatchObject({ startedAt: 't1', attempt: 2, fence: 2 });
    });

    it('keeps the expiry of an existing item unless the change sets one', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'a', 'p', 'SUCCEEDED', EXPIRES);

      // Act
      const kept = await store.updateNode(
        runId,
        'a',
        { status: ['ABSENT'] },
        { set: { status: 'READY' } },
        EXPIRES + 5,
      );
      const set = await store.updateNode(
        runId,
        'a',
        { status: ['READY'] },
        { set: { expiresAt: EXPIRES + 9 } },
        EXPIRES + 5,
      );

      // Assess
      expect(kept?.expiresAt).toBe(EXPIRES);
      expect(set).toMatchObject({ status: 'READY', expiresAt: EXPIRES + 9 });
    });
  });

  describe('resetNode', () => {
    it('puts a failed node back to no status, keeping attempt and bumping fence', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'a', 'p1', 'SUCCEEDED', EXPIRES);
      await store.arrive(runId, 'a', 'p2', 'FAILED', EXPIRES);
      await store.updateNode(
        runId,
        'a',
        { status: ['ABSENT'] },
        {
          set: { status: 'FAILED', token: 'm', via: 'FAILED', error: { code: 'X', message: 'x' } },
          addAttempt: 3,
          bumpFence: true,
        },
        EXPIRES,
      );

      // Act
      const reset = await store.resetNode(
        runId,
        'a',
        { arrived: ['p1'], failedParents: [], skippedParents: ['p0'] },
        EXPIRES - 1,
        1,
      );

      // Assess
      expect(reset).toBe(true);
      expect(await store.getNode(runId, 'a')).toEqual({
        ...blank(runId, 'a'),
        attempt: 3,
        fence: 2,
        epoch: 1,
        arrived: ['p1'],
        skippedParents: ['p0'],
        expiresAt: EXPIRES - 1,
      });
    });

    it('resets a node that does not exist or only has arrivals', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'arrivals', 'p', 'SUCCEEDED', EXPIRES);
      const noArrivals = { arrived: [], failedParents: [], skippedParents: [] };

      // Act
      const missing = await store.resetNode(runId, 'missing', noArrivals, EXPIRES, 1);
      const arrivals = await store.resetNode(runId, 'arrivals', noArrivals, EXPIRES, 2);

      // Assess
      expect([missing, arrivals]).toEqual([true, true]);
      expect(await store.getNode(runId, 'missing')).toEqual({
        ...blank(runId, 'missing'),
        fence: 1,
        epoch: 1,
      });
      expect(await store.getNode(runId, 'arrivals')).toEqual({
        ...blank(runId, 'arrivals'),
        fence: 1,
        epoch: 2,
      });
    });

    it.each([
      'PENDING',
      'READY',
      'SUCCEEDED',
      'SKIPPED',
      'CANCELLED',
      'RETRY_WAIT',
      'WAITING',
      'PARKED',
    ] as const)('resets a %s node, clearing every field it had', async (status) => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.arrive(runId, 'a', 'p', 'SKIPPED', EXPIRES);
      await store.updateNode(
        runId,
        'a',
        { status: ['ABSENT'] },
        {
          set: {
            status,
            token: 'm',
            leaseUntil: 'l',
            via: 'SKIPPED',
            output: { x: 1 },
            reason: 'r',
            wakeAt: 'w',
          },
          startedAtIfAbsent: 's',
          addAttempt: 2,
          bumpFence: true,
        },
        EXPIRES,
      );
      await store.updateNode(
        runId,
        'a',
        { status: [status] },
        { set: { error: { code: 'E', message: 'e' }, endedAt: 'e' } },
        EXPIRES,
      );

      // Act
      const reset = await store.resetNode(
        runId,
        'a',
        { arrived: ['p'], failedParents: ['p'], skippedParents: [] },
        EXPIRES,
        1,
      );

      // Assess
      expect(reset).toBe(true);
      expect(await store.getNode(runId, 'a')).toEqual({
        ...blank(runId, 'a'),
        attempt: 2,
        fence: 2,
        epoch: 1,
        arrived: ['p'],
        failedParents: ['p'],
      });
    });

    it('refuses to reset a RUNNING node and leaves it unchanged', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const node = await nodeIn(
        store,
        runId,
        'a',
        { status: 'RUNNING', leaseUntil: 'l' },
        { addAttempt: 1, bumpFence: true },
      );

      // Act
      const reset = await store.resetNode(
        runId,
        'a',
        { arrived: ['x'], failedParents: [], skippedParents: [] },
        EXPIRES,
        1,
      );

      // Assess
      expect(reset).toBe(false);
      expect(await store.getNode(runId, 'a')).toEqual(node);
    });

    it('refuses to reset a node already of that epoch or a later one, so a resumed retry skips it', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      const none = { arrived: [], failedParents: [], skippedParents: [] };
      await store.resetNode(runId, 'a', none, EXPIRES, 2);
      await store.updateNode(
        runId,
        'a',
        { status: ['ABSENT'], epoch: 2 },
        { set: { status: 'READY' } },
        EXPIRES,
      );

      // Act
      const same = await store.resetNode(runId, 'a', { ...none, arrived: ['x'] }, EXPIRES, 2);
      const older = await store.resetNode(runId, 'a', { ...none, arrived: ['x'] }, EXPIRES, 1);
      const newer = await store.resetNode(runId, 'a', none, EXPIRES, 3);

      // Assess
      expect([same, older, newer]).toEqual([false, false, true]);
      expect(await store.getNode(runId, 'a')).toEqual({ ...blank(runId, 'a'), fence: 2, epoch: 3 });
    });
  });
}
