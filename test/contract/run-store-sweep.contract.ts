import { describe, expect, it } from 'vitest';
import type { NodeRecord, RunRecord, RunStatus, RunStore } from '../../shared/ports/run-store.ts';
import { EXPIRES, newId, newTenant, runRecord } from './run-fixtures.ts';

/**
 * Lease times far apart per test: the lease is one item per store, and the DynamoDB suite shares
 * its table between tests, so each test starts after every lease an earlier one could have left.
 */
let clock = Date.UTC(2100, 0, 1);
const laterEpoch = () => {
  clock += 10 ** 9;
  return clock;
};

/**
 * What the sweeper needs from a RunStore: its lease (one sweep at a time, and where the last one
 * stopped), the active listing across every shard, listings without outputs, and conditional node
 * writes that say what refused them.
 */
export function describeRunStoreSweepContract(name: string, makeStore: () => Promise<RunStore>) {
  describe(`RunStore sweeper contract: ${name}`, () => {
    describe('the sweeper lease', () => {
      it('goes to one holder at a time until it expires, and the next holder gets the saved cursor', async () => {
        // Prepare
        const store = await makeStore();
        const t = await cleanLease(store);

        // Act
        const first = await store.takeSweepLease('one', t, t + 60_000);
        const meanwhile = await store.takeSweepLease('two', t + 1_000, t + 61_000);
        const saved = await store.saveSweepLease('one', { cursor: 'page-7', round: 4 }, false);
        const beforeExpiry = await store.takeSweepLease('two', t + 59_999, t + 120_000);
        const afterExpiry = await store.takeSweepLease('two', t + 60_000, t + 120_000);
        const lateSave = await store.saveSweepLease('one', { cursor: 'page-9', round: 4 }, true);
        const next = await store.saveSweepLease('two', { round: 5 }, true);

        // Assess
        expect(first).toEqual({ round: 0 });
        expect(meanwhile).toBeUndefined();
        expect(saved).toBe(true);
        expect(beforeExpiry).toBeUndefined();
        expect(afterExpiry).toEqual({ cursor: 'page-7', round: 4 });
        expect(lateSave).toBe(false);
        expect(next).toBe(true);
        expect(await store.takeSweepLease('three', t + 60_001, t + 90_000)).toEqual({ round: 5 });
      });

      it('is free again at once when its holder gives it up, with the cursor it left', async () => {
        // Prepare
        const store = await makeStore();
        const t = await cleanLease(store);
        await store.takeSweepLease('one', t, t + 60_000);

        // Act
        const released = await store.saveSweepLease('one', { cursor: 'page-3', round: 1 }, true);
        const again = await store.saveSweepLease('one', { cursor: 'page-4', round: 1 }, false);
        const taken = await store.takeSweepLease('two', t + 1, t + 60_000);

        // Assess
        expect(released).toBe(true);
        expect(again).toBe(false);
        expect(taken).toEqual({ cursor: 'page-3', round: 1 });
      });

      it('lets exactly one of 10 concurrent sweeps take it', async () => {
        // Prepare
        const store = await makeStore();
        const t = await cleanLease(store);

        // Act
        const takes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.takeSweepLease(`s${i}`, t, t + 60_000)),
        );

        // Assess
        expect(takes.filter((take) => take !== undefined)).toHaveLength(1);
      });
    });

    describe('listings', () => {
      it('lists every active run once across pages and shards, and none that ended', async () => {
        // Prepare
        const store = await makeStore();
        const statuses: RunStatus[] = ['QUEUED', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED'];
        const runs: RunRecord[] = [];
        for (let i = 0; i < 40; i++) {
          const status = statuses[i % statuses.length] as RunStatus;
          runs.push((await store.createRun(runRecord({ status }), undefined)).run);
        }
        const ending = runs[1] as RunRecord;
        await store.updateRun(ending.runId, ['RUNNING'], { status: 'CANCELLED', updatedAt: 'now' });
        const stopping = runs[6] as RunRecord;
        const control = { action: 'cancel' as const, epoch: 0, since: 'now' };
        await store.updateRun(stopping.runId, ['RUNNING'], {
          status: 'CANCELLED',
          control,
          updatedAt: 'now',
        });
        const ours = new Set(runs.map((run) => run.runId));

        // Act
        const listed: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listActiveRuns({ limit: 7, ...(cursor ? { cursor } : {}) });
          listed.push(...page.items.map((run) => run.runId).filter((id) => ours.has(id)));
          cursor = page.cursor;
          pages += 1;
        } while (cursor && pages < 10_000);

        // Assess
        const active = runs.filter(
          (run) =>
            run.runId !== ending.runId &&
            (['QUEUED', 'RUNNING', 'PAUSED'].includes(run.status) || run.runId === stopping.runId),
        );
        expect([...listed].sort()).toEqual(active.map((run) => run.runId).sort());
      });

      it('refuses a cursor it did not hand out with INVALID_CURSOR', async () => {
        // Prepare
        const store = await makeStore();
        const forged = Buffer.from(JSON.stringify({ listing: 'active', shard: 99 })).toString('base64url');

        // Act
        const garbage = store.listActiveRuns({ cursor: 'not-a-cursor' });
        const outOfRange = store.listActiveRuns({ cursor: forged });

        // Assess
        await expect(garbage).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
        await expect(outOfRange).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
      });

      it('lists runs with every field but their outputs, in every listing', async () => {
        // Prepare
        const store = await makeStore();
        const tenant = newTenant();
        const full = runRecord({
          tenant,
          status: 'RUNNING',
          failed: true,
          error: { code: 'BOOM', message: 'it broke', nodeId: 'a' },
          idempotencyKey: 'k-1',
          deadline: '2026-01-01T01:00:00.000Z',
          epochStartedAt: '2026-01-01T00:00:00.000Z',
        });
        await store.createRun(full, { x: 1 });
        const ended = await store.updateRun(full.runId, ['RUNNING'], {
          status: 'FAILED',
          outputs: { large: 'x'.repeat(10_000) },
          endedAt: '2026-01-01T00:10:00.000Z',
          control: { action: 'cancel', epoch: 0, since: '2026-01-01T00:09:00.000Z', total: 3, done: 1 },
          updatedAt: '2026-01-01T00:10:00.000Z',
        });
        const { outputs: _outputs, ...listedFields } = ended as RunRecord;

        // Act
        const byTenant = await store.listRuns(tenant);
        const byWorkflow = await store.listRuns(tenant, { workflow: full.workflow });
        const byStatus = await store.listRuns(tenant, { status: 'FAILED' });
        const byBoth = await store.listRuns(tenant, { workflow: full.workflow, status: 'FAILED' });
        const active = await activeRun(store, full.runId);

        // Assess
        expect((await store.getRun(full.runId))?.outputs).toEqual({ large: 'x'.repeat(10_000) });
        for (const page of [byTenant, byWorkflow, byStatus, byBoth])
          expect(page.items).toEqual([listedFields]);
        expect(active).toEqual(listedFields);
      });
    });

    describe('tryUpdateNode', () => {
      it('returns the item after the write, or the item that refused it, or no item', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        const when = { status: ['ABSENT' as const] };
        const change = { set: { status: 'RUNNING' as const, token: 't1' }, bumpFence: true };

        // Act
        const applied = await store.tryUpdateNode(runId, 'a', when, change, EXPIRES);
        const refused = await store.tryUpdateNode(runId, 'a', when, change, EXPIRES);
        const missing = await store.tryUpdateNode(runId, 'b', { status: ['READY'] }, change, EXPIRES);

        // Assess
        const node: NodeRecord = {
          runId,
          nodeId: 'a',
          status: 'RUNNING',
          token: 't1',
          attempt: 0,
          fence: 1,
          arrived: [],
          failedParents: [],
          skippedParents: [],
          expiresAt: EXPIRES,
        };
        expect(applied).toEqual({ applied: true, node });
        expect(refused).toEqual({ applied: false, node });
        expect(missing).toEqual({ applied: false });
        expect(await store.getNode(runId, 'b')).toBeUndefined();
      });
    });
  });
}

/** Takes and gives up the lease at a time after any earlier test's leases; returns that time. */
async function cleanLease(store: RunStore): Promise<number> {
  const t = laterEpoch();
  const holder = `clean-${t}`;
  expect(await store.takeSweepLease(holder, t, t + 1)).toBeDefined();
  expect(await store.saveSweepLease(holder, { round: 0 }, true)).toBe(true);
  return t + 10;
}

/** The run as the active listing has it (every page read; other tests' runs are there too). */
async function activeRun(store: RunStore, runId: string): Promise<RunRecord | undefined> {
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await store.listActiveRuns({ limit: 100, ...(cursor ? { cursor } : {}) });
    const found = page.items.find((run) => run.runId === runId);
    if (found) return found;
    cursor = page.cursor;
    if (cursor === undefined) return undefined;
  }
  throw new Error('the active listing never ended');
}
