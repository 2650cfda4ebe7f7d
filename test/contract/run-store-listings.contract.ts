import { describe, expect, it } from 'vitest';
import type { RunRecord, RunStatus, RunStore } from '../../shared/ports/run-store.ts';
import { created, everyPage, newTenant, runRecord } from './run-fixtures.ts';

/**
 * Part of the RunStore contract (`run-store.contract.ts`): the run listings, by tenant, workflow
 * and status, the active runs, and their cursors.
 */
export function describeListingsContract(makeStore: () => Promise<RunStore>) {
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
        runs.push(await created(store, runRecord({ tenant, workflow: i < 6 ? 'orders' : 'other', status })));
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
}
