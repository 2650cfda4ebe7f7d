import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type RunStore, RunStoreError } from '../../shared/ports/run-store.ts';
import { created, EXPIRES, newId, newTenant, runRecord } from './run-fixtures.ts';

/**
 * Part of the RunStore contract (`run-store.contract.ts`): the run item, its inputs and
 * idempotency key, and conditional run writes.
 */
export function describeRunsContract(makeStore: () => Promise<RunStore>) {
  describe('runs', () => {
    it('reads back a run and its inputs exactly as they were written', async () => {
      // Prepare
      const store = await makeStore();
      const run = runRecord({ deadline: '2026-01-01T01:00:00.000Z' });
      const inputs = {
        order: { id: 7, lines: [{ sku: 'a-1', qty: 2 }] },
        note: 'héllo ✓',
        empty: {},
        none: null,
      };

      // Act
      const result = await store.createRun(run, inputs);

      // Assess
      expect(result).toEqual({ run, created: true });
      expect(await store.getRun(run.runId)).toEqual(run);
      expect(await store.getInputs(run.runId)).toEqual(inputs);
    });

    it('refuses a second run with the same id with a RunStoreError, keeping the first', async () => {
      // Prepare
      const store = await makeStore();
      const run = runRecord();
      await store.createRun(run, { first: true });

      // Act
      const second = await store
        .createRun({ ...run, workflow: 'other' }, { first: false })
        .catch((e: unknown) => e);

      // Assess
      expect(second).toBeInstanceOf(RunStoreError);
      expect((second as Error).message).toBe(`cannot create run ${run.runId}: it already exists`);
      expect(await store.getInputs(run.runId)).toEqual({ first: true });
    });

    it('records progress only over an older mark, and not for a run that does not exist', async () => {
      // Prepare
      const store = await makeStore();
      const run = runRecord({ progressAt: '2026-01-01T00:00:00.000Z' });
      await store.createRun(run, {});

      // Act
      await store.markProgress(run.runId, '2026-01-01T00:01:00.000Z', '2026-01-01T00:00:00.001Z');
      const first = (await store.getRun(run.runId))?.progressAt;
      await store.markProgress(run.runId, '2026-01-01T00:01:30.000Z', '2026-01-01T00:00:30.000Z');
      const second = (await store.getRun(run.runId))?.progressAt;
      await store.markProgress(newId(), '2026-01-01T00:01:30.000Z', '2026-01-01T00:00:30.000Z');
      const listed = (await store.listActiveRuns()).items.find((r) => r.runId === run.runId);

      // Assess: the second mark found one newer than its bound and changed nothing
      expect(first).toBe('2026-01-01T00:01:00.000Z');
      expect(second).toBe('2026-01-01T00:01:00.000Z');
      expect(await store.getRun(newId())).toBeUndefined();
      expect(listed?.progressAt).toBe('2026-01-01T00:01:00.000Z');
    });

    it('returns nothing for a run that does not exist', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      const found = {
        run: await store.getRun(runId),
        inputs: await store.getInputs(runId),
        node: await store.getNode(runId, 'a'),
        nodes: await store.getNodes(runId, ['a', 'b']),
        listed: await store.listNodes(runId),
      };

      // Assess
      expect(found).toEqual({ run: undefined, inputs: undefined, node: undefined, nodes: [], listed: [] });
    });

    it('round-trips inputs of about 200 KB that barely compress', async () => {
      // Prepare
      const store = await makeStore();
      const run = runRecord();
      const inputs = {
        blobs: Array.from({ length: 100 }, () => randomBytes(1500).toString('base64')),
        numbers: [0.1, -2.5e-7, 2 ** 53 - 1],
      };

      // Act
      await store.createRun(run, inputs);

      // Assess
      expect(JSON.stringify(inputs).length).toBeGreaterThan(200_000);
      expect(await store.getInputs(run.runId)).toEqual(inputs);
    });

    it('returns the first run for a repeated idempotency key and writes nothing', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const first = runRecord({ tenant, idempotencyKey: 'order-7#retry' });
      await store.createRun(first, { n: 1 });
      const second = runRecord({ tenant, idempotencyKey: 'order-7#retry', workflow: 'other' });

      // Act
      const result = await store.createRun(second, { n: 2 });

      // Assess
      expect(result).toEqual({ run: first, created: false });
      expect(await store.getRun(second.runId)).toBeUndefined();
      expect(await store.getInputs(first.runId)).toEqual({ n: 1 });
      expect((await store.listRuns(tenant)).items).toEqual([first]);
    });

    it('does not share idempotency keys between tenants', async () => {
      // Prepare
      const store = await makeStore();
      const first = runRecord({ tenant: newTenant(), idempotencyKey: 'same-key' });
      const second = runRecord({ tenant: newTenant(), idempotencyKey: 'same-key' });
      await store.createRun(first, {});

      // Act
      const result = await store.createRun(second, {});

      // Assess
      expect(result).toEqual({ run: second, created: true });
      expect(await store.getRun(second.runId)).toEqual(second);
    });

    it('creates exactly one run when creations race on one idempotency key', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const runs = Array.from({ length: 5 }, () => runRecord({ tenant, idempotencyKey: 'race' }));

      // Act
      const results = await Promise.all(runs.map((run) => store.createRun(run, { runId: run.runId })));

      // Assess
      const created = results.filter((result) => result.created);
      expect(created).toHaveLength(1);
      const winner = created[0]?.run.runId;
      expect(results.map((result) => result.run.runId)).toEqual(runs.map(() => winner));
      expect((await store.listRuns(tenant)).items.map((run) => run.runId)).toEqual([winner]);
    });

    it('applies a run change when the status matches and returns the updated run', async () => {
      // Prepare
      const store = await makeStore();
      const run = await created(store, runRecord());
      const outputs = { total: 12.5, big: 2 ** 60, items: [1, 'two', null, { deep: [true] }], text: '' };

      // Act
      const updated = await store.updateRun(run.runId, ['QUEUED', 'RUNNING'], {
        status: 'SUCCEEDED',
        outputs,
        endedAt: '2026-01-01T00:05:00.000Z',
        expiresAt: EXPIRES - 1,
        updatedAt: '2026-01-01T00:05:00.000Z',
      });

      // Assess
      const expected = {
        ...run,
        status: 'SUCCEEDED',
        outputs,
        endedAt: '2026-01-01T00:05:00.000Z',
        expiresAt: EXPIRES - 1,
        updatedAt: '2026-01-01T00:05:00.000Z',
      };
      expect(updated).toEqual(expected);
      expect(await store.getRun(run.runId)).toEqual(expected);
    });

    it('refuses a run change when the status does not match, and changes nothing', async () => {
      // Prepare
      const store = await makeStore();
      const run = await created(store, runRecord({ status: 'PAUSED' }));

      // Act
      const updated = await store.updateRun(run.runId, ['RUNNING', 'QUEUED'], {
        status: 'CANCELLED',
        updatedAt: 'later',
      });

      // Assess
      expect(updated).toBeUndefined();
      expect(await store.getRun(run.runId)).toEqual(run);
    });

    it('refuses a run change for a run that does not exist, and creates nothing', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      const withStatus = await store.updateRun(runId, ['RUNNING'], { status: 'FAILED', updatedAt: 'now' });
      const withoutStatus = await store.updateRun(runId, ['RUNNING'], { epoch: 3, updatedAt: 'now' });

      // Assess
      expect(withStatus).toBeUndefined();
      expect(withoutStatus).toBeUndefined();
      expect(await store.getRun(runId)).toBeUndefined();
    });

    it('removes the listed fields, as a retry does', async () => {
      // Prepare
      const store = await makeStore();
      const run = await created(
        store,
        runRecord({
          status: 'FAILED',
          failed: true,
          error: { code: 'BOOM', message: 'it broke', nodeId: 'a' },
          endedAt: '2026-01-01T00:05:00.000Z',
          outputs: { partial: true },
        }),
      );

      // Act
      const updated = await store.updateRun(run.runId, ['FAILED', 'CANCELLED', 'TIMED_OUT'], {
        status: 'RUNNING',
        epoch: 1,
        deadline: '2026-01-01T01:06:00.000Z',
        updatedAt: '2026-01-01T00:06:00.000Z',
        remove: ['error', 'endedAt', 'failed', 'outputs'],
      });

      // Assess
      const { error: _e, endedAt: _t, failed: _f, outputs: _o, ...kept } = run;
      const expected = {
        ...kept,
        status: 'RUNNING',
        epoch: 1,
        deadline: '2026-01-01T01:06:00.000Z',
        updatedAt: '2026-01-01T00:06:00.000Z',
      };
      expect(updated).toEqual(expected);
      expect(await store.getRun(run.runId)).toEqual(expected);
    });

    it('records a failure keeping the first error, and ignores a run that does not exist', async () => {
      // Prepare
      const store = await makeStore();
      const run = await created(store, runRecord());
      const missing = newId();

      // Act
      await store.recordFailure(run.runId, { code: 'FIRST', message: 'one', nodeId: 'a' }, 't1');
      await store.recordFailure(run.runId, { code: 'SECOND', message: 'two', nodeId: 'b' }, 't2');
      await store.recordFailure(missing, { code: 'LOST', message: 'none' }, 't3');

      // Assess
      expect(await store.getRun(run.runId)).toEqual({
        ...run,
        failed: true,
        error: { code: 'FIRST', message: 'one', nodeId: 'a' },
        updatedAt: 't2',
      });
      expect(await store.getRun(missing)).toBeUndefined();
    });
  });
}
