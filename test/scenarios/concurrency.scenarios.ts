import { describe, expect, it } from 'vitest';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { failing, type MakeHarness, MINUTE } from './scenario-kit.ts';

/** One node that waits 30 s: runs of it overlap unless the cap keeps them apart. */
const napper = (cap: number) => ({
  id: 'capped',
  maxConcurrentRuns: cap,
  nodes: { nap: { type: 'wait', with: { seconds: 30 } } },
});

/** Tracks how many runs are RUNNING at once, from the run writes the store applies. */
function watchRunning(harness: WorkflowHarness) {
  const running = new Set<string>();
  let most = 0;
  const runs: RunStore = harness.runs;
  const updateRun = runs.updateRun.bind(runs);
  const createRun = runs.createRun.bind(runs);
  runs.createRun = async (...args) => {
    const result = await createRun(...args);
    if (result.created && result.run.status === 'RUNNING') running.add(result.run.runId);
    most = Math.max(most, running.size);
    return result;
  };
  runs.updateRun = async (...args) => {
    const result = await updateRun(...args);
    if (result) {
      if (result.status === 'RUNNING') running.add(result.runId);
      else running.delete(result.runId);
      most = Math.max(most, running.size);
    }
    return result;
  };
  return { most: () => most };
}

const lifecycle = (harness: WorkflowHarness) =>
  harness.events
    .filter((event) => ['run.started', 'run.queued', 'run.dequeued', 'run.succeeded'].includes(event.type))
    .map((event) => `${event.type.slice(4)} ${event.runId}`);

/** `maxConcurrentRuns`: runs beyond the cap wait QUEUED and start in order as slots free up. */
export function concurrencyScenarios(makeHarness: MakeHarness) {
  describe('maxConcurrentRuns', () => {
    it('runs 5 starts of a workflow capped at 1 one at a time, in the order they were started', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(napper(1));
      const watch = watchRunning(harness);

      // Act
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await harness.start('capped'));
      const before = await Promise.all(ids.map(async (id) => (await harness.view(id)).status));
      await harness.drain();

      // Assess
      expect(before).toEqual(['RUNNING', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED']);
      for (const id of ids) expect((await harness.view(id)).status).toBe('SUCCEEDED');
      expect(watch.most()).toBe(1);
      const [a, b, c, d, e] = ids;
      expect(lifecycle(harness)).toEqual([
        `started ${a}`,
        `queued ${b}`,
        `queued ${c}`,
        `queued ${d}`,
        `queued ${e}`,
        `succeeded ${a}`,
        `dequeued ${b}`,
        `succeeded ${b}`,
        `dequeued ${c}`,
        `succeeded ${c}`,
        `dequeued ${d}`,
        `succeeded ${d}`,
        `dequeued ${e}`,
        `succeeded ${e}`,
      ]);
    });

    it('starts the next run when a running one is cancelled, and never starts a cancelled waiting one', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(napper(1));
      const [a, b, c] = [
        await harness.start('capped'),
        await harness.start('capped'),
        await harness.start('capped'),
      ];

      // Act
      await harness.engine.cancel(TENANT, b as string);
      await harness.engine.cancel(TENANT, a as string);
      const afterCancel = (await harness.view(c as string)).status;
      await harness.drain();

      // Assess
      expect(afterCancel).toBe('RUNNING');
      expect((await harness.view(b as string)).status).toBe('CANCELLED');
      expect((await harness.view(c as string)).status).toBe('SUCCEEDED');
      expect(lifecycle(harness).filter((line) => line.includes(b as string))).toEqual([`queued ${b}`]);
    });

    it('lets two runs of a workflow capped at 2 overlap, never three', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(napper(2));
      const watch = watchRunning(harness);

      // Act
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await harness.start('capped'));
      await harness.drain();

      // Assess
      expect(watch.most()).toBe(2);
      for (const id of ids) expect((await harness.view(id)).status).toBe('SUCCEEDED');
    });

    it('gives back the slot of a run whose end crashed before giving it back, from the sweeper', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(napper(1));
      const a = await harness.start('capped');
      const b = await harness.start('capped');
      const runs: RunStore = harness.runs;
      const release = runs.releaseSlot.bind(runs);
      runs.releaseSlot = async () => {
        throw new Error('the worker died after ending the run');
      };
      await harness.drain().catch(() => undefined);
      runs.releaseSlot = release;
      await harness.drain();
      const stuck = (await harness.view(b)).status;
      harness.clock.advance(2 * MINUTE);

      // Act
      await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect((await harness.view(a)).status).toBe('SUCCEEDED');
      expect(stuck).toBe('QUEUED');
      expect((await harness.view(b)).status).toBe('SUCCEEDED');
    });

    it('keeps a retried run of a capped workflow waiting until a slot is free', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'capped-retry',
        maxConcurrentRuns: 1,
        nodes: {
          a: failing({ retry: { maxAttempts: 1 } }),
          b: { type: 'wait', needs: [], with: { seconds: 30 } },
        },
      });
      const first = await harness.start('capped-retry');
      await harness.drain(); // first FAILED (a failed), its slot given back
      const second = await harness.start('capped-retry'); // holds the slot while b waits
      await harness.step();

      // Act
      const retried = await harness.engine.retry(TENANT, first);
      await harness.drain();

      // Assess
      expect(retried.status).toBe('QUEUED');
      expect((await harness.view(second)).status).toBe('FAILED');
      expect((await harness.view(first)).status).toBe('FAILED');
      expect((await harness.view(first)).nodes.a?.attempts).toBe(2);
    });
  });

  describe('the tenant quota (a deployment setting)', () => {
    it('lets a tenant have at most N active runs across its workflows, starting the rest in order', async () => {
      // Prepare
      const harness = await makeHarness({ settings: { maxActiveRunsPerTenant: 2 } });
      await harness.publish({ ...napper(10), id: 'first' });
      await harness.publish({ ...napper(10), id: 'second' });
      const watch = watchRunning(harness);

      // Act
      const ids = [
        await harness.start('first'),
        await harness.start('second'),
        await harness.start('first'),
        await harness.start('second'),
        await harness.start('first'),
      ];
      const before = await Promise.all(ids.map(async (id) => (await harness.view(id)).status));
      await harness.drain();

      // Assess
      expect(before).toEqual(['RUNNING', 'RUNNING', 'QUEUED', 'QUEUED', 'QUEUED']);
      expect(watch.most()).toBe(2);
      for (const id of ids) expect((await harness.view(id)).status).toBe('SUCCEEDED');
      const dequeued = lifecycle(harness).filter((line) => line.startsWith('dequeued'));
      expect(dequeued).toEqual([`dequeued ${ids[2]}`, `dequeued ${ids[3]}`, `dequeued ${ids[4]}`]);
    });

    it('keeps both caps: a run let through by the quota still waits for its workflow’s slot', async () => {
      // Prepare
      const harness = await makeHarness({ settings: { maxActiveRunsPerTenant: 3 } });
      await harness.publish(napper(1));
      await harness.publish({ ...napper(5), id: 'other' });
      const watch = watchRunning(harness);

      // Act
      const capped = [await harness.start('capped'), await harness.start('capped')];
      const other = await harness.start('other');
      const states = await Promise.all([...capped, other].map(async (id) => (await harness.view(id)).status));
      await harness.drain();

      // Assess
      expect(states).toEqual(['RUNNING', 'QUEUED', 'RUNNING']);
      expect(watch.most()).toBe(2);
      for (const id of [...capped, other]) expect((await harness.view(id)).status).toBe('SUCCEEDED');
    });
  });
}
