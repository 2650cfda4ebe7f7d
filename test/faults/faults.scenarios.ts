import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../shared/ports/executor.ts';
import { ExecutorRegistry } from '../../shared/ports/executors.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { hookNodeWrites } from '../scenarios/node-writes.ts';
import { until } from '../scenarios/scenario-kit.ts';
import { type CrashPoint, crashingStore, driveWithFaults, InjectedCrash } from './fault-driver.ts';

/** Counts executions per node; `onExecute` may interfere (e.g. let a lease expire). */
class CountingExecutor implements Executor {
  readonly type = 'noop';
  readonly executions = new Map<string, number>();
  onExecute?: (request: ExecutionRequest<unknown>) => Promise<void>;
  async execute(request: ExecutionRequest<unknown>): Promise<ExecutionResult> {
    this.executions.set(request.ctx.nodeId, (this.executions.get(request.ctx.nodeId) ?? 0) + 1);
    await this.onExecute?.(request);
    return { kind: 'succeeded', output: `${request.ctx.nodeId}#${request.ctx.attempt}` };
  }
}

export const SINKS = 70; // more than one done-set shard (64 sinks each)

/**
 * A shape with chains, joins, a fan-out of sinks across two shards, and a two-level join; shared
 * by the fault suites.
 */
export function faultWorkflow(id = 'faults', defaults: object = {}) {
  const nodes: Record<string, { type: 'noop'; needs?: string[] }> = {
    root: { type: 'noop' },
    a: { type: 'noop', needs: ['root'] },
    b: { type: 'noop', needs: ['root'] },
    c: { type: 'noop', needs: ['root'] },
    j: { type: 'noop', needs: ['a', 'b'] },
    d: { type: 'noop', needs: ['c'] },
    end: { type: 'noop', needs: ['j', 'd'] },
  };
  for (let i = 0; i < SINKS; i += 1) nodes[`s${i}`] = { type: 'noop', needs: ['root'] };
  return { id, defaults, nodes };
}

const NODE_COUNT = 7 + SINKS;

/** Counts, per node, the terminal writes the store applied, and the applied run-ending writes. */
function countingStore(store: RunStore) {
  const completions = new Map<string, number>();
  let runEnds = 0;
  const proxy: RunStore = Object.create(store);
  hookNodeWrites(
    proxy,
    {
      after: ({ nodeId, change }, node) => {
        const status = change.set?.status;
        if (node && (status === 'SUCCEEDED' || status === 'FAILED' || status === 'SKIPPED')) {
          completions.set(nodeId, (completions.get(nodeId) ?? 0) + 1);
        }
      },
    },
    store,
  );
  proxy.updateRun = async (runId, ifStatus, change, when) => {
    const result = await store.updateRun(runId, ifStatus, change, when);
    if (result && change.endedAt !== undefined) runEnds += 1;
    return result;
  };
  return { store: proxy, completions, runEnds: () => runEnds };
}

async function setUp(makeStore: () => RunStore | Promise<RunStore>, wrap?: (store: RunStore) => RunStore) {
  const executor = new CountingExecutor();
  const counting = countingStore(await makeStore());
  const harness = new WorkflowHarness({
    clock: new FakeClock(Date.UTC(2100, 0, 1)), // DynamoDB Local's TTL follows the real clock
    runs: wrap ? wrap(counting.store) : counting.store,
    executors: new ExecutorRegistry().register(executor),
  });
  // A dead worker's attempt counts against maxAttempts: the crashes below need attempts to spare.
  await harness.publish(faultWorkflow('faults', { retry: { maxAttempts: 4 } }));
  return { harness, executor, counting };
}

/** Every node completed exactly once (as the store saw it), the run ended exactly once, SUCCEEDED. */
async function expectCleanRun(
  harness: WorkflowHarness,
  counting: ReturnType<typeof countingStore>,
  runId: string,
) {
  const run = await harness.view(runId);
  expect(run.status).toBe('SUCCEEDED');
  expect(run.progress.byStatus).toEqual({ SUCCEEDED: NODE_COUNT });
  expect(counting.completions.size).toBe(NODE_COUNT);
  expect([...counting.completions.values()].every((count) => count === 1)).toBe(true);
  expect(counting.runEnds()).toBe(1);
}

/**
 * The guarantees under faults, for any run store: duplicated and reordered deliveries, a crash
 * at every step boundary, and a lease that expires while a node runs.
 */
export function faultScenarios(makeStore: () => RunStore | Promise<RunStore>) {
  describe('under duplicated and reordered deliveries', () => {
    it('completes every node once when every message is delivered twice', async () => {
      // Prepare
      const { harness, executor, counting } = await setUp(makeStore);
      const runId = await harness.start('faults');

      const copied = new Set<string>();

      // Act
      await driveWithFaults(harness, {
        delivery: (message) => {
          if (copied.has(message.body)) return 'handle';
          copied.add(message.body);
          return 'duplicate';
        },
      });

      // Assess
      await expectCleanRun(harness, counting, runId);
      expect([...executor.executions.values()].every((count) => count === 1)).toBe(true);
    });

    it('completes every node once when deliveries are shuffled and some come back late', async () => {
      // Prepare
      const { harness, executor, counting } = await setUp(makeStore);
      const runId = await harness.start('faults');
      let seed = 7;
      const random = () => {
        seed = (seed * 16_807) % 2_147_483_647;
        return seed / 2_147_483_647;
      };

      // Act
      await driveWithFaults(harness, {
        shuffle: random,
        delivery: (_message, index) => (index % 5 === 0 ? 'skip' : index % 3 === 0 ? 'duplicate' : 'handle'),
      });

      // Assess
      await expectCleanRun(harness, counting, runId);
      expect([...executor.executions.values()].every((count) => count === 1)).toBe(true);
    });
  });

  describe('with a worker crash at a step boundary', () => {
    const points: [CrashPoint, boolean][] = [
      ['after-claim', false],
      ['before-complete', false],
      ['after-complete', true],
      ['after-first-arrival', true],
      ['after-done-count', true],
    ];
    for (const [point, executesOnce] of points) {
      it(`recovers from a crash ${point.replaceAll('-', ' ')} (3 crashes)`, async () => {
        // Prepare
        const { harness, executor, counting } = await setUp(makeStore, (store) =>
          crashingStore(store, point, 3),
        );
        const runId = await harness.start('faults');

        // Act
        const crashes = await driveWithFaults(harness);

        // Assess
        expect(crashes).toBe(3);
        await expectCleanRun(harness, counting, runId);
        const executions = [...executor.executions.values()];
        expect(executions).toHaveLength(NODE_COUNT);
        // Side effects are at-least-once: a crash before the result is stored runs the node again.
        if (executesOnce) expect(executions.every((count) => count === 1)).toBe(true);
      });
    }

    it('recovers from a crash before the children are sent', async () => {
      // Prepare
      const { harness, counting } = await setUp(makeStore);
      const send = harness.queue.send.bind(harness.queue);
      let crashes = 2;
      harness.queue.send = async (messages) => {
        if (messages.length > 1 && crashes > 0) {
          crashes -= 1;
          throw new InjectedCrash('before sending children');
        }
        return send(messages);
      };
      const runId = await harness.start('faults');

      // Act
      const crashed = await driveWithFaults(harness);

      // Assess
      expect(crashed + crashes).toBe(2);
      await expectCleanRun(harness, counting, runId);
    });
  });

  describe('each guard on its own (a test per guard that fails without it)', () => {
    it('refuses the old worker’s completion when a takeover is still running: the fence alone stops it', async () => {
      // Prepare
      const { harness, executor, counting } = await setUp(makeStore);
      let releaseNew: () => void = () => undefined;
      const newHolds = new Promise<void>((resolve) => {
        releaseNew = resolve;
      });
      let newStarted: () => void = () => undefined;
      const newRunning = new Promise<void>((resolve) => {
        newStarted = resolve;
      });
      let takeover: Promise<unknown> | undefined;
      executor.onExecute = async (request) => {
        if (request.ctx.nodeId !== 'c') return;
        if (request.ctx.attempt === 2) {
          newStarted();
          await newHolds; // the new worker is still running when the old one writes
          return;
        }
        // The old worker stalls past its lease; another worker takes the node over.
        harness.clock.advance(10 * 60_000);
        const body = JSON.stringify({ r: request.ctx.runId, n: 'c', t: 'takeover' });
        takeover = harness.engine.handleMessage(body);
        await newRunning;
      };
      const cWrites: boolean[] = [];
      hookNodeWrites(harness.runs, {
        after: ({ nodeId, change }, node) => {
          if (nodeId === 'c' && change.set?.status === 'SUCCEEDED') cWrites.push(node !== undefined);
        },
      });
      const runId = await harness.start('faults');

      // Act
      const drained = driveWithFaults(harness);
      await until(() => cWrites.length === 1); // the old worker wrote while the takeover runs
      releaseNew();
      await takeover;
      await drained;
      await driveWithFaults(harness);

      // Assess
      expect(cWrites).toEqual([false, true]);
      await expectCleanRun(harness, counting, runId);
      const run = await harness.view(runId);
      expect(run.nodes.c).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 'c#2' });
    });

    it('drops a second message for a finished node without redoing its follow-up: only the message that finished it may', async () => {
      // Prepare
      const { harness, counting } = await setUp(makeStore);
      const runId = await harness.start('faults');
      await harness.step(); // root finishes and releases its children; the run goes on
      const sends: number[] = [];
      const send = harness.queue.send.bind(harness.queue);
      harness.queue.send = async (messages) => {
        sends.push(messages.length);
        return send(messages);
      };
      const writes = { arrive: 0, addDone: 0 };
      const runs = harness.runs;
      const arrive = runs.arrive.bind(runs);
      const addDone = runs.addDone.bind(runs);
      runs.arrive = async (...args) => {
        writes.arrive += 1;
        return arrive(...args);
      };
      runs.addDone = async (...args) => {
        writes.addDone += 1;
        return addDone(...args);
      };

      // Act: another message for root, as a redone release or a re-send would bring it
      const result = await harness.engine.handleMessage(JSON.stringify({ r: runId, n: 'root', t: 'other' }));
      const during = { sends: [...sends], writes: { ...writes } };
      harness.queue.send = send;
      await driveWithFaults(harness);

      // Assess
      expect(result).toEqual({ kind: 'done' });
      expect(during).toEqual({ sends: [], writes: { arrive: 0, addDone: 0 } });
      await expectCleanRun(harness, counting, runId);
    });

    it('refuses to claim a join before all its parents have arrived', async () => {
      // Prepare
      const { harness, executor, counting } = await setUp(makeStore);
      const order: string[] = [];
      executor.onExecute = async (request) => {
        order.push(request.ctx.nodeId);
      };
      const runId = await harness.start('faults');
      await harness.step(); // root
      // Only a of the join j's parents a and b has run.
      const batch = await harness.queue.receive({ max: 10 });
      for (const message of batch) {
        if (message.body.includes('"n":"a"')) {
          await harness.engine.handleMessage(message.body);
          await harness.queue.delete(message.receipt);
        } else {
          await harness.queue.changeVisibility(message.receipt, 0);
        }
      }

      // Act: a message for j, as a duplicate or a re-send would bring it early
      await harness.engine.handleMessage(JSON.stringify({ r: runId, n: 'j', t: 'early', v: 'J' }));
      const early = await harness.runs.getNode(runId, 'j');
      await driveWithFaults(harness);

      // Assess
      expect(early?.status).toBeUndefined();
      expect(order.indexOf('j')).toBeGreaterThan(order.indexOf('b'));
      expect(order.filter((id) => id === 'j')).toHaveLength(1);
      await expectCleanRun(harness, counting, runId);
    });
  });

  describe('when a lease expires while the node runs', () => {
    it('lets another worker take over and records one completion, from the newer claim', async () => {
      // Prepare
      const { harness, executor, counting } = await setUp(makeStore);
      let tookOver = false;
      executor.onExecute = async (request) => {
        if (request.ctx.nodeId !== 'c' || tookOver) return;
        tookOver = true;
        // This worker stalls past its lease; the message is redelivered to another worker.
        harness.clock.advance(10 * 60_000);
        const body = JSON.stringify({ r: request.ctx.runId, n: 'c', t: 'redelivered' });
        await harness.engine.handleMessage(body);
      };
      const runId = await harness.start('faults');

      // Act
      await driveWithFaults(harness);

      // Assess
      await expectCleanRun(harness, counting, runId);
      const run = await harness.view(runId);
      expect(run.nodes.c).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 'c#2' });
      expect(executor.executions.get('c')).toBe(2);
    });
  });
}
