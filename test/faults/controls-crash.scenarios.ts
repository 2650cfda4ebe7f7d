import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../shared/ports/executor.ts';
import { ExecutorRegistry } from '../../shared/ports/executors.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { InjectedCrash, RUN_STORE_WRITES } from './fault-driver.ts';
import { faultWorkflow, SINKS } from './faults.scenarios.ts';

const MINUTE = 60_000;
/**
 * The harness clock starts here, not in 2026: DynamoDB Local's TTL deletes items whose
 * `expiresAt` is behind the real clock, and a run's retention counts from the fake one.
 */
const FUTURE = Date.UTC(2100, 0, 1);

/** Fails `d` on its first attempt; every other node (and `d` later) succeeds. */
class FlakyExecutor implements Executor {
  readonly type = 'noop';
  readonly executions = new Map<string, number>();
  async execute(request: ExecutionRequest<unknown>): Promise<ExecutionResult> {
    const { nodeId, attempt } = request.ctx;
    this.executions.set(nodeId, (this.executions.get(nodeId) ?? 0) + 1);
    if (nodeId === 'd' && attempt === 1) {
      return { kind: 'failed', error: { code: 'FLAKY', message: 'first try', retryable: false } };
    }
    return { kind: 'succeeded', output: `${nodeId}#${attempt}` };
  }
}

const workflow = () => faultWorkflow('crashy');

/**
 * Wraps a store so that its `crashAt`-th write (counting from 0) throws, before or after it is
 * applied; `count()` says how many writes went through the wrapper.
 */
function crashAtWrite(store: RunStore, crashAt: number, when: 'before' | 'after') {
  let writes = 0;
  let armed = false;
  const proxy: RunStore = Object.create(store);
  for (const method of RUN_STORE_WRITES) {
    const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
    (proxy as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const index = armed ? writes++ : -1;
      if (index === crashAt && when === 'before') throw new InjectedCrash(`before write ${index}`);
      const result = await original(...args);
      if (index === crashAt && when === 'after') throw new InjectedCrash(`after write ${index}`);
      return result;
    };
  }
  return { store: proxy, arm: () => (armed = true), count: () => writes };
}

/**
 * Every write, or (`sampled`) the first three, three in the middle and the last three: the
 * claim, the marks in full swing and the clearing of the control.
 */
function crashPoints(writes: number, coverage: 'all' | 'sampled'): number[] {
  const all = Array.from({ length: writes }, (_, index) => index);
  if (coverage === 'all' || writes <= 9) return all;
  const middle = Math.floor(writes / 2);
  return [...new Set([0, 1, 2, middle - 1, middle, middle + 1, writes - 3, writes - 2, writes - 1])];
}

/** A harness on a store that crashes at write `crashAt` once armed, with the flaky probe. */
async function crashingHarness(
  makeStore: () => RunStore | Promise<RunStore>,
  crashAt: number,
  when: 'before' | 'after',
) {
  const executor = new FlakyExecutor();
  const crashing = crashAtWrite(await makeStore(), crashAt, when);
  const harness = new WorkflowHarness({
    clock: new FakeClock(FUTURE),
    runs: crashing.store,
    executors: new ExecutorRegistry().register(executor),
  });
  await harness.publish(workflow());
  const runId = await harness.start('crashy');
  return { harness, runId, executor, crashing };
}

/** A run that FAILED (`d` failed once), then the store armed to crash at write `crashAt`. */
async function failedRun(
  makeStore: () => RunStore | Promise<RunStore>,
  crashAt: number,
  when: 'before' | 'after',
) {
  const made = await crashingHarness(makeStore, crashAt, when);
  await made.harness.drain();
  expect((await made.harness.view(made.runId)).status).toBe('FAILED');
  made.crashing.arm();
  return made;
}

/**
 * A control killed at each of its store writes (before or after the write lands), then left to
 * the sweeper or repeated by the caller: the run always ends in the state an uninterrupted
 * control gives, never earlier and never with a node of the old epoch left behind.
 */
export function controlCrashScenarios(
  makeStore: () => RunStore | Promise<RunStore>,
  /** `sampled`: one of the four (before/after × sweeper/second call) per write, in turn. @default 'all' */
  coverage: 'all' | 'sampled' = 'all',
) {
  describe('a retry killed at each of its writes', () => {
    it('ends SUCCEEDED with every node succeeded, whether the sweeper or a second call finishes it', async () => {
      // Prepare: how many writes does an uninterrupted retry make?
      const probe = await failedRun(makeStore, Number.POSITIVE_INFINITY, 'before');
      await probe.harness.engine.retry(TENANT, probe.runId);
      const writes = probe.crashing.count();
      await probe.harness.drain();
      expect((await probe.harness.view(probe.runId)).status).toBe('SUCCEEDED');
      const outcomes: string[] = [];

      // Act
      const combinations = (['before', 'after'] as const).flatMap((when) =>
        (['sweeper', 'second call'] as const).map((finisher) => ({ when, finisher })),
      );
      for (let crashAt = 0; crashAt < writes; crashAt += 1) {
        const chosen = coverage === 'all' ? combinations : [combinations[crashAt % 4] ?? combinations[0]];
        for (const { when, finisher } of chosen as typeof combinations) {
          {
            const { harness, runId, executor } = await failedRun(makeStore, crashAt, when);
            const crash = await harness.engine.retry(TENANT, runId).catch((error: unknown) => error);
            if (!(crash instanceof InjectedCrash))
              throw new Error(`write ${crashAt} did not crash the retry`);
            // A retry killed before its claim landed never happened: the run stays as it was.
            const claimed = (await harness.view(runId)).status !== 'FAILED';
            await harness.drain(); // whatever the old epoch still had in flight
            if (finisher === 'second call') {
              await harness.engine.retry(TENANT, runId).catch(() => undefined); // 409 if already restarted
            }
            for (const wait of [2 * MINUTE, 11 * MINUTE, 11 * MINUTE]) {
              harness.clock.advance(wait);
              await harness.engine.sweep();
              await harness.drain();
            }
            const run = await harness.view(runId);
            const executions = [...executor.executions.entries()].filter(([, count]) => count !== 1);
            const result = `${run.status} ${JSON.stringify(run.progress.byStatus)} ${JSON.stringify(executions)}`;
            outcomes.push(
              `${crashAt}/${when}/${finisher}/${claimed || finisher === 'second call'}: ${result}`,
            );
          }
        }
      }

      // Assess
      const retried = `/true: SUCCEEDED {"SUCCEEDED":${7 + SINKS}} [["d",2]]`;
      const untouched = `/false: FAILED {"SUCCEEDED":${5 + SINKS},"FAILED":1,"SKIPPED":1} []`;
      expect(
        outcomes.filter((outcome) => !outcome.endsWith(retried) && !outcome.endsWith(untouched)),
      ).toEqual([]);
      if (coverage === 'all') {
        expect(outcomes.filter((outcome) => outcome.endsWith(untouched))).toEqual([
          `0/before/sweeper${untouched}`,
        ]);
      }
      expect(outcomes).toHaveLength(coverage === 'all' ? writes * 4 : writes);
    });
  });

  describe('a cancel killed at each of its writes', () => {
    it('starts no node afterwards and ends with every node it could reach marked, once the sweeper finished it', async () => {
      // Prepare
      const count = async () => {
        const { harness, runId, crashing } = await crashingHarness(
          makeStore,
          Number.POSITIVE_INFINITY,
          'before',
        );
        await harness.step(); // root: its children are queued
        crashing.arm();
        await harness.engine.cancel(TENANT, runId);
        return crashing.count();
      };
      const writes = await count();
      const outcomes: string[] = [];

      // Act
      for (const crashAt of crashPoints(writes, coverage)) {
        const { harness, runId, executor, crashing } = await crashingHarness(makeStore, crashAt, 'after');
        await harness.step();
        crashing.arm();
        const crash = await harness.engine.cancel(TENANT, runId).catch((error: unknown) => error);
        const flipped = (await harness.view(runId)).status;
        await harness.drain();
        harness.clock.advance(2 * MINUTE);
        await harness.engine.sweep();
        await harness.drain();
        const run = await harness.view(runId);
        outcomes.push(
          `${crashAt}: ${crash instanceof InjectedCrash} ${flipped} ${run.status} control=${run.control !== undefined} executed=${executor.executions.size}`,
        );
      }

      // Assess
      expect(
        outcomes.filter((outcome) => !outcome.endsWith('true CANCELLED CANCELLED control=false executed=1')),
      ).toEqual([]);
      expect(outcomes).toHaveLength(crashPoints(writes, coverage).length);
    });
  });
}
