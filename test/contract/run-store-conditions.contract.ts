import { monotonicFactory } from 'ulid';
import { describe, expect, it } from 'vitest';
import {
  ItemTooLargeError,
  type NodeCondition,
  type NodeRecord,
  type NodeStatus,
  type RunRecord,
  type RunStatus,
  type RunStore,
} from '../../shared/ports/run-store.ts';

const EXPIRES = 4_102_444_800;
const newId = monotonicFactory();
const T = '2026-06-01T12:00:00.000Z';
const BEFORE = '2026-06-01T11:59:00.000Z';
const AFTER = '2026-06-01T12:01:00.000Z';
const NONE = { arrived: [], failedParents: [], skippedParents: [] };

/** A node state the engine can leave behind, built through the port. */
interface State {
  readonly name: string;
  readonly build: (store: RunStore, runId: string) => Promise<unknown>;
}

const put =
  (status: NodeStatus, fields: object = {}, epoch = 0, attempts = 0) =>
  async (store: RunStore, runId: string) => {
    if (epoch > 0) await store.resetNode(runId, 'n', NONE, EXPIRES, epoch);
    const change = {
      set: { status, ...fields },
      bumpFence: true,
      ...(attempts ? { addAttempt: attempts } : {}),
    };
    await store.updateNode(runId, 'n', { status: ['ABSENT'], epoch }, change, EXPIRES);
  };

const STATES: readonly State[] = [
  { name: 'no item', build: async () => undefined },
  { name: 'one arrival', build: (store, runId) => store.arrive(runId, 'n', 'p1', 'SUCCEEDED', EXPIRES) },
  {
    name: 'two arrivals',
    build: async (store, runId) => {
      await store.arrive(runId, 'n', 'p1', 'SUCCEEDED', EXPIRES);
      await store.arrive(runId, 'n', 'p2', 'FAILED', EXPIRES);
    },
  },
  { name: 'READY', build: put('READY') },
  { name: 'PARKED', build: put('PARKED') },
  { name: 'RETRY_WAIT due', build: put('RETRY_WAIT', { wakeAt: BEFORE }) },
  { name: 'RETRY_WAIT not due', build: put('RETRY_WAIT', { wakeAt: AFTER }) },
  { name: 'WAITING due', build: put('WAITING', { wakeAt: BEFORE }) },
  { name: 'RUNNING lease expired', build: put('RUNNING', { leaseUntil: BEFORE }) },
  { name: 'RUNNING lease held', build: put('RUNNING', { leaseUntil: AFTER }) },
  { name: 'RUNNING lease expired, 2 attempts', build: put('RUNNING', { leaseUntil: BEFORE }, 0, 2) },
  { name: 'SUCCEEDED', build: put('SUCCEEDED') },
  { name: 'CANCELLED', build: put('CANCELLED') },
  { name: 'reset in epoch 1', build: (store, runId) => store.resetNode(runId, 'n', NONE, EXPIRES, 1) },
  { name: 'READY in epoch 1', build: put('READY', {}, 1) },
  { name: 'RUNNING lease expired in epoch 1', build: put('RUNNING', { leaseUntil: BEFORE }, 1) },
];

const CLAIMABLE: NodeCondition['status'] = ['ABSENT', 'READY', 'PARKED'];
const NOT_STARTED: NodeCondition['status'] = ['ABSENT', 'READY', 'PARKED', 'RETRY_WAIT', 'WAITING'];

/** Every condition shape the engine builds (see shared/engine), in epoch 0 and 1. */
function shapes(): { name: string; when: NodeCondition }[] {
  const base: { name: string; when: NodeCondition }[] = [
    { name: 'claim', when: { status: CLAIMABLE, orDueBefore: T, orLeaseExpiredBefore: T } },
    {
      name: 'claim with attempts left',
      when: { status: CLAIMABLE, orDueBefore: T, orLeaseExpiredBefore: T, takeoverBelowAttempt: 2 },
    },
    {
      name: 'claim of a join',
      when: { status: CLAIMABLE, orDueBefore: T, orLeaseExpiredBefore: T, arrivedCount: 2 },
    },
    { name: 'complete under fence 1', when: { status: ['RUNNING'], fence: 1 } },
    { name: 'complete under fence 2', when: { status: ['RUNNING'], fence: 2 } },
    { name: 'cancel when the run ended', when: { status: NOT_STARTED, orLeaseExpiredBefore: T } },
    { name: 'park', when: { status: ['ABSENT', 'READY'], orDueBefore: T } },
    { name: 'stop mark', when: { status: ['READY'] } },
    { name: 'stop mark of an item-less node', when: { status: ['ABSENT'] } },
    { name: 'abandoned node', when: { status: [], orLeaseExpiredBefore: T } },
    { name: 'sweeper mark', when: { status: ['READY'], fence: 1 } },
    { name: 'no parent arrived', when: { status: ['ABSENT'], arrivedCount: 0 } },
  ];
  return [0, 1].flatMap((epoch) =>
    base.map(({ name, when }) => ({ name: `${name}, epoch ${epoch}`, when: { ...when, epoch } })),
  );
}

/** The port's documented rule, written independently of both adapters. */
function expected(node: NodeRecord | undefined, when: NodeCondition): boolean {
  const status = node?.status ?? 'ABSENT';
  const statusOk =
    when.status.includes(status) ||
    (when.orDueBefore !== undefined &&
      (status === 'RETRY_WAIT' || status === 'WAITING') &&
      node?.wakeAt !== undefined &&
      node.wakeAt <= when.orDueBefore) ||
    (when.orLeaseExpiredBefore !== undefined &&
      status === 'RUNNING' &&
      node?.leaseUntil !== undefined &&
      node.leaseUntil < when.orLeaseExpiredBefore &&
      (when.takeoverBelowAttempt === undefined || node.attempt < when.takeoverBelowAttempt));
  const fenceOk = when.fence === undefined || node?.fence === when.fence;
  const arrivedOk = when.arrivedCount === undefined || (node?.arrived.length ?? 0) === when.arrivedCount;
  const epochOk = when.epoch === undefined || (node?.epoch ?? 0) === when.epoch;
  return statusOk && fenceOk && arrivedOk && epochOk;
}

const run = (overrides: Partial<RunRecord> = {}): RunRecord => ({
  runId: newId(),
  tenant: 'conditions',
  workflow: 'wf',
  version: '1.0.0',
  status: 'RUNNING',
  sinkCount: 1,
  epoch: 0,
  createdAt: T,
  updatedAt: T,
  expiresAt: EXPIRES,
  ...overrides,
});

/**
 * Every condition the engine builds against every node state it can meet, on each adapter,
 * judged by one reference rule: memory and DynamoDB cannot disagree on a shape again (a shape
 * DynamoDB refuses to parse fails here, not in production).
 */
/**
 * With `offloads` (a store that moves large values out of its items, `OffloadingRunStore`), a
 * value over 400 KB is stored rather than refused.
 */
export function describeRunStoreConditionContract(
  name: string,
  makeStore: () => Promise<RunStore>,
  options: { readonly offloads?: boolean } = {},
) {
  // The matrix is a few hundred writes: seconds on DynamoDB Local on a loaded 2-core machine.
  describe(`RunStore conditions: ${name}`, { timeout: 60_000 }, () => {
    it('applies every node condition shape the engine builds exactly as the port says', async () => {
      // Prepare
      const store = await makeStore();
      const cases = shapes().flatMap((shape) => STATES.map((state) => ({ shape, state, runId: newId() })));
      await Promise.all(cases.map(({ state, runId }) => state.build(store, runId)));
      const before = await Promise.all(cases.map(({ runId }) => store.getNode(runId, 'n')));

      // Act
      const applied = await Promise.all(
        cases.map(({ shape, runId }) =>
          store.updateNode(runId, 'n', shape.when, { set: { reason: 'matched' } }, EXPIRES),
        ),
      );

      // Assess
      const mismatches = cases
        .map(({ shape, state }, index) => ({
          case: `${shape.name} on ${state.name}`,
          expected: expected(before[index], shape.when),
          applied: applied[index] !== undefined,
        }))
        .filter((result) => result.expected !== result.applied);
      expect(mismatches).toEqual([]);
      expect(cases.length).toBe(shapes().length * STATES.length);
    });

    it('applies an arrival only in the node’s epoch, and creates no item in a later one', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.resetNode(runId, 'reset', NONE, EXPIRES, 2);

      // Act
      const stale = await store.arrive(runId, 'reset', 'p', 'SUCCEEDED', EXPIRES, 1);
      const current = await store.arrive(runId, 'reset', 'p', 'FAILED', EXPIRES, 2);
      const nowhere = await store.arrive(runId, 'missing', 'p', 'SUCCEEDED', EXPIRES, 1);

      // Assess
      expect([stale.applied, current.applied, nowhere.applied]).toEqual([false, true, false]);
      expect(current.node).toMatchObject({ arrived: ['p'], failedParents: ['p'], epoch: 2 });
      expect(await store.getNode(runId, 'missing')).toBeUndefined();
    });

    if (!options.offloads) {
      it('refuses an item over 400 KB with ItemTooLargeError and writes nothing', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        await store.updateNode(runId, 'n', { status: ['ABSENT'] }, { set: { status: 'RUNNING' } }, EXPIRES);

        // Act
        const refused = await store
          .updateNode(
            runId,
            'n',
            { status: ['RUNNING'] },
            { set: { status: 'SUCCEEDED', output: 'x'.repeat(420 * 1024) } },
            EXPIRES,
          )
          .catch((error: unknown) => error);

        // Assess
        expect(refused).toBeInstanceOf(ItemTooLargeError);
        expect(await store.getNode(runId, 'n')).toMatchObject({ status: 'RUNNING' });
      });
    }

    if (options.offloads) {
      it('stores a value over 400 KB and reads it back', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        await store.updateNode(runId, 'n', { status: ['ABSENT'] }, { set: { status: 'RUNNING' } }, EXPIRES);
        const output = 'x'.repeat(420 * 1024);

        // Act
        const written = await store.updateNode(
          runId,
          'n',
          { status: ['RUNNING'] },
          { set: { status: 'SUCCEEDED', output } },
          EXPIRES,
        );

        // Assess
        expect(written).toMatchObject({ status: 'SUCCEEDED', output });
        expect(await store.getNode(runId, 'n')).toMatchObject({ status: 'SUCCEEDED', output });
      });
    }

    it('hands out at most max slots per workflow, idempotently, and keeps a waiting line in run id order', async () => {
      // Prepare
      const store = await makeStore();
      const wf = `wf-${newId().toLowerCase()}`;

      // Act
      const taken = [
        await store.acquireSlot('t', wf, 'r1', 2),
        await store.acquireSlot('t', wf, 'r2', 2),
        await store.acquireSlot('t', wf, 'r3', 2),
        await store.acquireSlot('t', wf, 'r1', 2),
      ];
      await store.releaseSlot('t', wf, 'r1');
      await store.releaseSlot('t', wf, 'r1');
      const afterRelease = await store.acquireSlot('t', wf, 'r3', 2);
      const otherWorkflow = await store.acquireSlot('t', `${wf}-x`, 'r9', 1);
      for (const id of ['r05', 'r03', 'r04']) await store.addWaiting('t', wf, id, EXPIRES);
      await store.addWaiting('t', wf, 'r03', EXPIRES);
      await store.removeWaiting('t', wf, 'r04');

      // Assess
      expect(taken).toEqual([true, true, false, true]);
      expect(afterRelease).toBe(true);
      expect(otherWorkflow).toBe(true);
      expect((await store.slotHolders('t', wf)).sort()).toEqual(['r2', 'r3']);
      expect(await store.listWaiting('t', wf, 10)).toEqual(['r03', 'r05']);
      expect(await store.listWaiting('t', wf, 1)).toEqual(['r03']);
      expect(await store.slotHolders('t', `${wf}-none`)).toEqual([]);
    });

    describe('run controls', () => {
      const cases: {
        name: string;
        control: RunRecord['control'];
        ifStatus: RunStatus[];
        change: Parameters<RunStore['updateRun']>[2];
        when?: Parameters<RunStore['updateRun']>[3];
        applies: boolean;
      }[] = [
        {
          name: 'ends a run without a control',
          control: undefined,
          ifStatus: ['RUNNING'],
          change: { status: 'SUCCEEDED', updatedAt: T },
          applies: true,
        },
        {
          name: 'does not end a run with a pending control by a change that ignores it',
          control: { action: 'retry', epoch: 0, since: T },
          ifStatus: ['RUNNING'],
          change: { status: 'FAILED', updatedAt: T },
          applies: false,
        },
        {
          name: 'requires no control',
          control: { action: 'cancel', epoch: 0, since: T },
          ifStatus: ['RUNNING'],
          change: { status: 'PAUSED', updatedAt: T },
          when: { control: 'none' },
          applies: false,
        },
        {
          name: 'requires the named control',
          control: { action: 'retry', epoch: 0, since: T },
          ifStatus: ['RUNNING'],
          change: {
            status: 'RUNNING',
            control: { action: 'retry', epoch: 0, since: T, done: 3 },
            updatedAt: T,
          },
          when: { control: { action: 'retry', epoch: 0 } },
          applies: true,
        },
        {
          name: 'refuses another control’s epoch',
          control: { action: 'retry', epoch: 0, since: T },
          ifStatus: ['RUNNING'],
          change: { status: 'RUNNING', remove: ['control'], updatedAt: T },
          when: { control: { action: 'retry', epoch: 1 } },
          applies: false,
        },
        {
          name: 'refuses another control’s action',
          control: { action: 'cancel', epoch: 0, since: T },
          ifStatus: ['RUNNING'],
          change: { status: 'RUNNING', remove: ['control'], updatedAt: T },
          when: { control: { action: 'retry', epoch: 0 } },
          applies: false,
        },
        {
          name: 'requires a control where there is none',
          control: undefined,
          ifStatus: ['RUNNING'],
          change: { status: 'RUNNING', updatedAt: T },
          when: { control: { action: 'retry', epoch: 0 } },
          applies: false,
        },
      ];
      for (const testCase of cases) {
        it(`${testCase.name}`, async () => {
          // Prepare
          const store = await makeStore();
          const record = run(testCase.control ? { control: testCase.control } : {});
          await store.createRun(record, {});

          // Act
          const updated = await store.updateRun(
            record.runId,
            testCase.ifStatus,
            testCase.change,
            testCase.when,
          );

          // Assess
          expect(updated !== undefined).toBe(testCase.applies);
        });
      }

      it('keeps a stopped run in the active listing while its control is pending, and drops it after', async () => {
        // Prepare
        const store = await makeStore();
        const record = run();
        await store.createRun(record, {});
        const control = { action: 'cancel' as const, epoch: 0, since: T, total: 9, done: 0 };

        // Act
        const stopped = await store.updateRun(record.runId, ['RUNNING'], {
          status: 'CANCELLED',
          control,
          updatedAt: T,
        });
        const whileStopping = await activeIds(store);
        const progressed = await store.updateRun(
          record.runId,
          ['CANCELLED'],
          { status: 'CANCELLED', control: { ...control, done: 9 }, updatedAt: T },
          { control: { action: 'cancel', epoch: 0 } },
        );
        const cleared = await store.updateRun(
          record.runId,
          ['CANCELLED'],
          { status: 'CANCELLED', remove: ['control'], updatedAt: T },
          { control: { action: 'cancel', epoch: 0 } },
        );
        const after = await activeIds(store);

        // Assess
        expect(stopped?.control).toEqual(control);
        expect(progressed?.control).toEqual({ ...control, done: 9 });
        expect(cleared?.control).toBeUndefined();
        expect(whileStopping).toContain(record.runId);
        expect(after).not.toContain(record.runId);
        expect(await store.getRun(record.runId)).toMatchObject({ status: 'CANCELLED' });
      });

      it('counts many sinks in one write, idempotently', async () => {
        // Prepare
        const store = await makeStore();
        const runId = newId();
        await store.addDone(runId, '1#0', 5, EXPIRES);

        // Act
        const first = await store.addDoneAll(runId, '1#0', [1, 2, 3, 5], EXPIRES);
        const again = await store.addDoneAll(runId, '1#0', [1, 2], EXPIRES);
        const one = await store.addDone(runId, '1#0', 4, EXPIRES);

        // Assess
        expect([first, again]).toEqual([4, 4]);
        expect(one).toEqual({ applied: true, size: 5 });
      });
    });
  });
}

async function activeIds(store: RunStore): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listActiveRuns({ limit: 100, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((item) => item.runId));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}
