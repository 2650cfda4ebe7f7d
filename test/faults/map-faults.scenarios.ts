import { describe, expect, it } from 'vitest';
import { flowExecutors } from '../../shared/executors/flow.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../shared/ports/executor.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { hookNodeWrites } from '../scenarios/node-writes.ts';
import { type CrashPoint, crashingStore, driveWithFaults, InjectedCrash } from './fault-driver.ts';

/** Items, and lanes over more than one done-set shard (64 lanes each). */
const ITEMS = 150;
const LANES = 70;

/** A map of `noop` items (counted), then a node after it; attempts to spare for the crashes. */
const MAPPED = {
  id: 'mapped',
  inputs: { items: { type: 'array', required: true } },
  outputs: { each: '{% $nodes.each.output %}' },
  defaults: { retry: { maxAttempts: 4 } },
  nodes: {
    each: {
      type: 'map',
      items: '{% $inputs.items %}',
      maxConcurrency: LANES,
      node: { type: 'noop', with: { v: '{% $item %}' } },
    },
    after: { type: 'noop', needs: ['each'] },
  },
};

class CountingNoop implements Executor {
  readonly type = 'noop';
  readonly executions = new Map<string, number>();
  async execute(request: ExecutionRequest<unknown>): Promise<ExecutionResult> {
    this.executions.set(request.ctx.nodeId, (this.executions.get(request.ctx.nodeId) ?? 0) + 1);
    return { kind: 'succeeded', output: request.inputs ?? null };
  }
}

/** A harness whose store counts the terminal writes it applied per node (items included). */
async function setUp(makeStore: () => RunStore | Promise<RunStore>, wrap?: (store: RunStore) => RunStore) {
  const store = await makeStore();
  const ended = new Map<string, number>();
  const counted: RunStore = Object.create(store);
  hookNodeWrites(
    counted,
    {
      after: ({ nodeId, change }, node) => {
        const status = change.set?.status;
        if (node && (status === 'SUCCEEDED' || status === 'FAILED'))
          ended.set(nodeId, (ended.get(nodeId) ?? 0) + 1);
      },
    },
    store,
  );
  const noop = new CountingNoop();
  const harness = new WorkflowHarness({
    runs: wrap ? wrap(counted) : counted,
    clock: new FakeClock(Date.UTC(2100, 0, 1)), // DynamoDB Local's TTL follows the real clock
    executors: flowExecutors().register(noop),
  });
  await harness.publish(MAPPED);
  const items = Array.from({ length: ITEMS }, (_, index) => index);
  const runId = await harness.start('mapped', { items });
  return { harness, runId, items, ended, noop };
}

/** The run succeeded with every item's output in order, and every item and node ended once. */
async function expectEachOnce(
  harness: WorkflowHarness,
  runId: string,
  items: readonly number[],
  ended: ReadonlyMap<string, number>,
) {
  const run = await harness.view(runId);
  expect(run.status).toBe('SUCCEEDED');
  expect(run.outputs).toEqual({ each: items.map((v) => ({ v })) });
  const itemEnds = items.map((index) => ended.get(`each[${index}]`));
  expect(itemEnds).toEqual(items.map(() => 1));
  expect(ended.get('each')).toBe(1);
  expect(ended.get('after')).toBe(1);
}

/** Each map item, and the map, ends once, whatever the deliveries and wherever a worker dies. */
export function mapFaultScenarios(makeStore: () => RunStore | Promise<RunStore>) {
  describe('map items under faults', () => {
    it('runs each item once when every message is delivered twice and batches are shuffled', async () => {
      // Prepare
      const { harness, runId, items, ended, noop } = await setUp(makeStore);
      const copied = new Set<string>();
      let seed = 11;

      // Act
      await driveWithFaults(harness, {
        shuffle: () => {
          seed = (seed * 16_807) % 2_147_483_647;
          return seed / 2_147_483_647;
        },
        delivery: (message) => {
          if (copied.has(message.body)) return 'handle';
          copied.add(message.body);
          return 'duplicate';
        },
      });

      // Assess
      await expectEachOnce(harness, runId, items, ended);
      expect(items.map((index) => noop.executions.get(`each[${index}]`))).toEqual(items.map(() => 1));
    });

    it.each<[CrashPoint, number]>([
      ['after-claim', 3],
      ['before-complete', 3],
      ['after-complete', 5],
      ['after-done-count', 5],
    ])('ends each item once when workers die %s (%i times)', async (point, times) => {
      // Prepare
      const { harness, runId, items, ended } = await setUp(makeStore, (store) =>
        crashingStore(store, point, times),
      );

      // Act
      const crashes = await driveWithFaults(harness);

      // Assess
      expect(crashes).toBe(times);
      await expectEachOnce(harness, runId, items, ended);
    });

    it('reseeds under a takeover when the worker starting the map dies half-way through seeding', async () => {
      // Prepare
      let seeded = 0;
      const { harness, runId, items, ended } = await setUp(makeStore, (store) => {
        const proxy: RunStore = Object.create(store);
        proxy.seedItem = async (...args) => {
          seeded += 1;
          if (seeded === 40) throw new InjectedCrash('half-way through seeding');
          return store.seedItem(...args);
        };
        return proxy;
      });

      // Act
      const crashes = await driveWithFaults(harness);

      // Assess
      expect(crashes).toBe(1);
      await expectEachOnce(harness, runId, items, ended);
    });

    it('sends the lanes again when the worker dies after the map started waiting', async () => {
      // Prepare
      let crashed = false;
      const { harness, runId, items, ended } = await setUp(makeStore, (store) => {
        const proxy: RunStore = Object.create(store);
        hookNodeWrites(
          proxy,
          {
            after: ({ nodeId, change }, node) => {
              if (node && !crashed && nodeId === 'each' && change.set?.mapRound !== undefined) {
                crashed = true;
                throw new InjectedCrash('after the map started waiting');
              }
            },
          },
          store,
        );
        return proxy;
      });

      // Act
      const crashes = await driveWithFaults(harness);

      // Assess
      expect(crashes).toBe(1);
      await expectEachOnce(harness, runId, items, ended);
    });
  });
}
