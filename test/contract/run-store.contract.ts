import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Page, PageRequest } from '../../shared/ports/page.ts';
import {
  type NodeChange,
  type NodeRecord,
  type RunRecord,
  type RunStatus,
  type RunStore,
  RunStoreError,
} from '../../shared/ports/run-store.ts';
import { EXPIRES, newId, newTenant, runRecord } from './run-fixtures.ts';

/** TTL far in the future (2100-01-01), so no store expires the items of a test. */

/**
 * The RunStore contract, run against every adapter. Each test works on fresh run ids and
 * tenants, so adapters may share one table between tests; `listActiveRuns` spans every tenant,
 * so its tests look only at their own runs.
 */
export function describeRunStoreContract(name: string, makeStore: () => Promise<RunStore>) {
  describe(`RunStore contract: ${name}`, () => {
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

    describe('listings', () => {
      it("lists a tenant's runs newest first, and no other tenant's", async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        const runs = [];
        for (const workflow of ['orders', 'billing', 'orders'])
          runs.push(await created(store, runRecord({ tenant, workflow })));
        await created(store, runRecord({ tenant: newTenant() }));

        // Act
        const page = await store.listRuns(tenant);

        // Assess
        expect(page).toEqual({ items: [...runs].reverse() });
      });

      it('filters by workflow, by status, and by both', async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        const make = (workflow: string, status: RunStatus) =>
          created(store, runRecord({ tenant, workflow, status }));
        const a = await make('orders', 'RUNNING');
        const b = await make('billing', 'FAILED');
        const c = await make('orders', 'FAILED');
        const d = await make('orders', 'SUCCEEDED');

        // Act
        const byWorkflow = await store.listRuns(tenant, { workflow: 'orders' });
        const byStatus = await store.listRuns(tenant, { status: 'FAILED' });
        const byBoth = await store.listRuns(tenant, { workflow: 'orders', status: 'FAILED' });
        const none = await store.listRuns(tenant, { workflow: 'billing', status: 'RUNNING' });

        // Assess
        expect(byWorkflow.items).toEqual([d, c, a]);
        expect(byStatus.items).toEqual([c, b]);
        expect(byBoth).toEqual({ items: [c] });
        expect(none).toEqual({ items: [] });
      });

      it('pages with cursors without gaps or repeats, filtered or not', async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        const runs: RunRecord[] = [];
        for (let i = 0; i < 7; i++) {
          const status = i % 2 === 0 ? 'SUCCEEDED' : 'FAILED';
          runs.push(
            await created(store, runRecord({ tenant, workflow: i < 6 ? 'orders' : 'other', status })),
          );
        }
        const newestFirst = [...runs].reverse();

        // Act
        const all = await everyPage((page) => store.listRuns(tenant, { ...page, limit: 2 }));
        const succeeded = await everyPage((page) =>
          store.listRuns(tenant, { ...page, workflow: 'orders', status: 'SUCCEEDED', limit: 2 }),
        );

        // Assess
        expect(all.items).toEqual(newestFirst);
        expect(all.sizes).toEqual([2, 2, 2, 1]);
        expect(succeeded.items).toEqual(
          newestFirst.filter((run) => run.workflow === 'orders' && run.status === 'SUCCEEDED'),
        );
        expect(succeeded.sizes.at(-1)).toBeGreaterThan(0);
      });

      it('moves a run between status listings when its status changes', async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        const run = await created(store, runRecord({ tenant, status: 'RUNNING' }));

        // Act
        await store.updateRun(run.runId, ['RUNNING'], { status: 'CANCELLED', updatedAt: 'now' });

        // Assess
        expect((await store.listRuns(tenant, { status: 'RUNNING' })).items).toEqual([]);
        expect((await store.listRuns(tenant, { status: 'CANCELLED' })).items.map((r) => r.runId)).toEqual([
          run.runId,
        ]);
        expect(
          (await store.listRuns(tenant, { workflow: run.workflow, status: 'CANCELLED' })).items,
        ).toHaveLength(1);
      });

      it('resumes after a run that left the listing since its cursor was handed out', async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        const runs: RunRecord[] = [];
        for (let i = 0; i < 4; i++) runs.push(await created(store, runRecord({ tenant, status: 'RUNNING' })));
        const first = await store.listRuns(tenant, { status: 'RUNNING', limit: 2 });
        const [, , r2, r3] = runs as [RunRecord, RunRecord, RunRecord, RunRecord];
        await store.updateRun(r2.runId, ['RUNNING'], { status: 'TIMED_OUT', updatedAt: 'now' });

        // Act
        const next = await store.listRuns(tenant, {
          status: 'RUNNING',
          limit: 2,
          ...(first.cursor ? { cursor: first.cursor } : {}),
        });

        // Assess
        expect(first.items.map((run) => run.runId)).toEqual([r3.runId, r2.runId]);
        expect(next).toEqual({ items: [runs[1], runs[0]] });
      });

      it('refuses a cursor it did not hand out, or one from another listing, with INVALID_CURSOR', async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        for (let i = 0; i < 3; i++) await created(store, runRecord({ tenant }));
        const { cursor } = await store.listRuns(tenant, { limit: 1 });

        // Act
        const garbage = store.listRuns(tenant, { cursor: 'not-a-cursor' });
        const foreign = store.listRuns(newTenant(), { cursor });

        // Assess
        expect(cursor).toEqual(expect.any(String));
        await expect(garbage).rejects.toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
        await expect(foreign).rejects.toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
      });

      it('lists active runs of every tenant, until they end', async () => {
        // Prepare
        const store = await makeStore();
        const statuses: RunStatus[] = ['QUEUED', 'SUCCEEDED', 'RUNNING', 'FAILED', 'PAUSED', 'RUNNING'];
        const runs = [];
        for (const status of statuses)
          runs.push(await created(store, runRecord({ tenant: newTenant(), status })));
        const ending = runs[5] as RunRecord;
        await store.updateRun(ending.runId, ['RUNNING'], { status: 'TIMED_OUT', updatedAt: 'now' });
        const ours = new Set(runs.map((run) => run.runId));

        // Act
        const { items } = await everyPage((page) => store.listActiveRuns({ ...page, limit: 3 }));

        // Assess
        const listed = items.filter((run) => ours.has(run.runId));
        const byId = (a: RunRecord, b: RunRecord) => (a.runId < b.runId ? -1 : 1);
        expect(listed.sort(byId)).toEqual([runs[0], runs[2], runs[4]]);
      });
    });

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
        const [retry, wait, later, parked] = await Promise.all(
          ['retry', 'wait', 'later', 'parked'].map(claim),
        );

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

async function created(store: RunStore, run: RunRecord): Promise<RunRecord> {
  const result = await store.createRun(run, { runId: run.runId });
  expect(result.created).toBe(true);
  return result.run;
}

/** A node item as created by its first write, before any field is set. */
function blank(runId: string, nodeId: string): NodeRecord {
  return {
    runId,
    nodeId,
    attempt: 0,
    fence: 0,
    arrived: [],
    failedParents: [],
    skippedParents: [],
    expiresAt: EXPIRES,
  };
}

/** Writes a node in the given state (it must not exist yet). */
async function nodeIn(
  store: RunStore,
  runId: string,
  nodeId: string,
  set: NonNullable<NodeChange['set']>,
  change: Omit<NodeChange, 'set'> = {},
): Promise<NodeRecord> {
  const node = await store.updateNode(runId, nodeId, { status: ['ABSENT'] }, { ...change, set }, EXPIRES);
  if (!node) throw new Error(`node ${nodeId} of run ${runId} already exists`);
  return node;
}

/** Arrival sets have no order: sorted, for comparing. */
function sorted(node: NodeRecord | undefined): NodeRecord | undefined {
  return (
    node && {
      ...node,
      arrived: [...node.arrived].sort(),
      failedParents: [...node.failedParents].sort(),
      skippedParents: [...node.skippedParents].sort(),
    }
  );
}

/** Follows cursors to the last page; fails rather than loop forever. */
async function everyPage<T>(list: (page: PageRequest) => Promise<Page<T>>) {
  const items: T[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 10_000; n++) {
    const page = await list(cursor === undefined ? {} : { cursor });
    items.push(...page.items);
    sizes.push(page.items.length);
    cursor = page.cursor;
    if (cursor === undefined) return { items, sizes };
  }
  throw new Error('the listing never ended');
}
