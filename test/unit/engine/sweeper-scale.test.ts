import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import type { SweepReport } from '../../../shared/engine/sweeper.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import type { RunStore } from '../../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

const ACTIVE_RUNS = 10_000;
const BUDGET_MS = 30_000;
/** The sweeper's lambda: a sweep must end well within it. */
const LAMBDA_TIMEOUT_MS = 60_000;
/** Requests the sweep makes one after the other; the others go 10 at a time (its lanes). */
const SEQUENTIAL = new Set(['listActiveRuns', 'takeSweepLease', 'saveSweepLease']);
const LANES = 10;

/**
 * The memory store as if every request took `latencyMs` (on the fake clock): sequential requests
 * cost it in full, requests from the sweep's 10 lanes a tenth of it. Records the runs each listing
 * page hands out, i.e. the runs the sweep visits.
 */
function timedStore(
  store: MemoryRunStore,
  clock: FakeClock,
  timing: { latencyMs: number; visited: Set<string> },
) {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const { latencyMs } = timing;
        clock.advance(SEQUENTIAL.has(String(property)) ? latencyMs : latencyMs / LANES);
        const result = await value.apply(target, args);
        if (property === 'listActiveRuns') {
          for (const run of (result as Awaited<ReturnType<RunStore['listActiveRuns']>>).items) {
            timing.visited.add(run.runId);
          }
        }
        return result;
      };
    },
  }) as RunStore;
}

describe('the sweeper at 10,000 active runs (memory store, simulated request latency)', () => {
  it.each([
    // [ms per request, sweeps within which every run is visited]
    [10, 1],
    [100, 5],
  ])(
    'visits every active run within its budget per sweep, at %i ms a request, within %i sweep(s)',
    async (latencyMs, sweepsNeeded) => {
      // Prepare
      const clock = new FakeClock(Date.UTC(2026, 0, 1));
      const timing = { latencyMs: 0, visited: new Set<string>() };
      const harness = new WorkflowHarness({ clock, runs: timedStore(new MemoryRunStore(), clock, timing) });
      await harness.publish({ id: 'nap', nodes: { nap: { type: 'wait', with: { duration: '1d' } } } });
      const runIds: string[] = [];
      for (let i = 0; i < ACTIVE_RUNS; i++) runIds.push(await harness.start('nap'));
      clock.advance(2 * 60_000);
      const seenBy: Set<string>[] = [];
      const reports: SweepReport[] = [];
      const took: { simulatedMs: number; realMs: number }[] = [];
      timing.latencyMs = latencyMs;

      // Act
      for (let sweep = 0; sweep < sweepsNeeded; sweep++) {
        timing.visited = new Set<string>();
        const start = clock.now();
        const real = performance.now();
        reports.push(await harness.engine.sweep({ budgetMs: BUDGET_MS }));
        took.push({ simulatedMs: clock.now() - start, realMs: performance.now() - real });
        seenBy.push(timing.visited);
        clock.advance(60_000 - (clock.now() - start));
      }

      // Assess
      const everyRun = new Set(seenBy.flatMap((seen) => [...seen]));
      expect(runIds.filter((runId) => !everyRun.has(runId))).toEqual([]);
      for (const { simulatedMs } of took) expect(simulatedMs).toBeLessThan(LAMBDA_TIMEOUT_MS);
      for (const report of reports) expect(report).toMatchObject({ errors: 0, requeued: 0 });
      for (const report of reports) expect(report.skipped).toBeUndefined();
      if (sweepsNeeded > 1) expect(reports[0]?.cutShort).toBe(true);
      console.info(
        `${ACTIVE_RUNS} active runs at ${latencyMs} ms a request: ` +
          took
            .map(
              ({ simulatedMs, realMs }, i) =>
                `sweep ${i + 1} saw ${seenBy[i]?.size} runs in ${(simulatedMs / 1000).toFixed(1)} s simulated (${Math.round(realMs)} ms real)`,
            )
            .join('; '),
      );
    },
    120_000,
  );
});
