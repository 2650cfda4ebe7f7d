import { describe, expect, it } from 'vitest';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { fail, js, type MakeHarness, MINUTE, probeHarness, refusal, settle } from './scenario-kit.ts';

/** Doubles each of five numbers, two at a time, and sums the doubles after. */
const DOUBLES = {
  id: 'doubles',
  inputs: { numbers: { type: 'array', required: true } },
  outputs: { doubled: '{% $nodes.double.output %}', sum: '{% $nodes.sum.output.total %}' },
  nodes: {
    double: {
      type: 'map',
      items: '{% $inputs.numbers %}',
      maxConcurrency: 2,
      node: js('return { n: inputs.n * 2, at: inputs.at }', {
        with: { n: '{% $item %}', at: '{% $index %}' },
      }),
    },
    sum: { type: 'noop', needs: ['double'], with: { total: '{% $sum($nodes.double.output.n) %}' } },
  },
};

/** A map whose items wait for a callback each, so a test sees which ones run at once. */
const APPROVALS = {
  id: 'approvals',
  inputs: { ids: { type: 'array', required: true } },
  nodes: {
    approve: { type: 'map', items: '{% $inputs.ids %}', maxConcurrency: 3, node: { type: 'callback' } },
  },
};

/** A map of `noop` items (the probe), so a test can make some fail. */
const PROBED = (more: object = {}) => ({
  id: 'probed',
  inputs: { items: { type: 'array', required: true } },
  nodes: {
    each: {
      type: 'map',
      items: '{% $inputs.items %}',
      node: { type: 'noop', with: { v: '{% $item %}' } },
      ...more,
    },
  },
});

/** The items' statuses, in index order. */
async function itemStatuses(harness: WorkflowHarness, runId: string, mapId: string) {
  return (await harness.runs.listItems(runId, mapId)).map((item) => item.status ?? 'NONE');
}

/** Completes the waiting callback item `index` of `approve` with its index as output. */
async function approve(harness: WorkflowHarness, runId: string, index: number) {
  const item = await harness.runs.getNode(runId, `approve[${index}]`);
  const token = item?.completionToken ?? '';
  await harness.engine.complete(TENANT, runId, `approve[${index}]`, { token, output: { index } });
  await settle(harness);
}

/** The `map` node: items run as nodes of their own, in lanes, outputs collected in order. */
export function mapScenarios(makeHarness: MakeHarness): void {
  describe('map nodes', () => {
    it('run the template for each item, with $item and $index, and collect the outputs in order', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await harness.publish(DOUBLES);

      // Act
      const view = await harness.run('doubles', { numbers: [1, 2, 3, 4, 5] });

      // Assess
      expect(view.status).toBe('SUCCEEDED');
      expect(view.outputs).toEqual({
        doubled: [0, 1, 2, 3, 4].map((at) => ({ n: (at + 1) * 2, at })),
        sum: 30,
      });
      expect(view.nodes.double).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    });

    it('run at most maxConcurrency items at once, the next one starting as one ends', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await harness.publish(APPROVALS);
      const runId = await harness.start('approvals', { ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });

      // Act
      await settle(harness);
      const first = await itemStatuses(harness, runId, 'approve');
      await approve(harness, runId, 1);
      const second = await itemStatuses(harness, runId, 'approve');
      for (const index of [0, 2, 3, 4, 5, 6]) await approve(harness, runId, index);

      // Assess
      expect(first).toEqual(['WAITING', 'WAITING', 'WAITING', 'NONE', 'NONE', 'NONE', 'NONE']);
      expect(second).toEqual(['WAITING', 'SUCCEEDED', 'WAITING', 'NONE', 'WAITING', 'NONE', 'NONE']);
      const view = await harness.view(runId);
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.approve?.output).toEqual([0, 1, 2, 3, 4, 5, 6].map((index) => ({ index })));
    });

    it('give an empty list an empty output without running anything', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(PROBED());

      // Act
      const view = await harness.run('probed', { items: [] });

      // Assess
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual([]);
      expect(probe.count('each[0]')).toBe(0);
    });

    it('fail with MAP_ITEM_FAILED once every item has ended, naming the failed ones', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('each[1]', () => fail('BAD_ITEM'));
      await harness.publish(PROBED());

      // Act
      const view = await harness.run('probed', { items: ['x', 'y', 'z'] });

      // Assess
      expect(view.status).toBe('FAILED');
      expect(view.nodes.each?.error?.code).toBe('MAP_ITEM_FAILED');
      expect(view.nodes.each?.error?.message).toContain('item 1: BAD_ITEM');
      expect(await itemStatuses(harness, view.runId, 'each')).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    });

    it('with continueOnError, succeed with null for each failed item', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('each[0]', () => fail('BAD_ITEM'));
      await harness.publish(PROBED({ continueOnError: true }));

      // Act
      const view = await harness.run('probed', { items: ['x', 'y'] });

      // Assess
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual([null, { v: 'y' }]);
    });

    it('retry only the items that did not succeed', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      let failures = 1;
      probe.on('each[2]', (request) =>
        failures-- > 0 ? fail('FLAKY') : { kind: 'succeeded', output: request.inputs },
      );
      await harness.publish(PROBED({ retry: { maxAttempts: 2, initialDelay: '1s' } }));

      // Act
      const view = await harness.run('probed', { items: ['x', 'y', 'z', 'w'] });

      // Assess
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual([{ v: 'x' }, { v: 'y' }, { v: 'z' }, { v: 'w' }]);
      expect([0, 1, 2, 3].map((index) => probe.count(`each[${index}]`))).toEqual([1, 1, 2, 1]);
    });

    it('run each item once and keep maxConcurrency when every message is delivered twice', async () => {
      // Prepare
      const seen = new Set<string>();
      const { harness, probe } = await probeHarness(makeHarness, {
        // Each message once more: a duplicate of a duplicate is handled as it comes.
        intercept: (message) => {
          if (seen.has(message.body)) return 'handle';
          seen.add(message.body);
          return 'duplicate';
        },
      });
      await harness.publish(PROBED({ maxConcurrency: 3 }));
      const items = Array.from({ length: 25 }, (_, index) => index);
      let running = 0;
      let most = 0;
      for (const index of items) {
        probe.on(`each[${index}]`, async (request) => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve)); // let the batch's other messages in
          running -= 1;
          return { kind: 'succeeded', output: request.inputs };
        });
      }

      // Act
      const view = await harness.run('probed', { items });

      // Assess
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual(items.map((v) => ({ v })));
      expect(items.map((index) => probe.count(`each[${index}]`))).toEqual(items.map(() => 1));
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(3);
    });

    it('run a child workflow per item for a {workflow, version} template, with the item as its inputs', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await harness.publish({
        id: 'greet',
        inputs: { name: { type: 'string', required: true } },
        outputs: { said: '{% "hi " & $inputs.name %}' },
        nodes: { only: { type: 'noop' } },
      });
      await harness.publish({
        id: 'greet-all',
        inputs: { people: { type: 'array', required: true } },
        nodes: {
          each: {
            type: 'map',
            items: '{% $inputs.people %}',
            node: { workflow: 'greet', version: '^1.0.0' },
          },
        },
      });

      // Act
      const view = await harness.run('greet-all', { people: [{ name: 'Ada' }, { name: 'Alan' }] });

      // Assess
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual([{ said: 'hi Ada' }, { said: 'hi Alan' }]);
      const children = await harness.engine.listRuns(TENANT, { workflow: 'greet' });
      expect(children.items).toHaveLength(2);
    });

    it('park items while the run is paused and run them on resume', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(PROBED({ maxConcurrency: 2 }));
      const runId = await harness.start('probed', { items: ['a', 'b', 'c', 'd'] });
      await harness.step(); // the map starts its lanes
      await harness.step(); // the first items run and send the next ones
      await harness.engine.pause(TENANT, runId);

      // Act
      await settle(harness);
      const paused = await itemStatuses(harness, runId, 'each');
      await harness.engine.resume(TENANT, runId);
      await harness.drain();

      // Assess
      expect(paused).toContain('PARKED');
      const view = await harness.view(runId);
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual(['a', 'b', 'c', 'd'].map((v) => ({ v })));
      expect([0, 1, 2, 3].map((index) => probe.count(`each[${index}]`))).toEqual([1, 1, 1, 1]);
    });

    it('on a retry of the failed run, run again only the items that did not succeed', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      let broken = true;
      probe.on('each[1]', (request) =>
        broken ? fail('BROKEN') : { kind: 'succeeded', output: request.inputs },
      );
      await harness.publish(PROBED());
      const failed = await harness.run('probed', { items: ['a', 'b', 'c'] });

      // Act
      broken = false;
      const byItem = await refusal(harness.engine.retry(TENANT, failed.runId, ['each[1]']));
      await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();

      // Assess
      expect(failed.status).toBe('FAILED');
      expect(byItem.message).toContain('retry the map node');
      const view = await harness.view(failed.runId);
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
      expect([0, 1, 2].map((index) => probe.count(`each[${index}]`))).toEqual([1, 2, 1]);
    });

    it('stop starting items when the run is cancelled', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(PROBED({ maxConcurrency: 1 }));
      const runId = await harness.start('probed', { items: ['a', 'b', 'c', 'd', 'e'] });
      await harness.step(); // the map starts its one lane
      await harness.step(); // item 0 runs and sends item 1

      // Act
      await harness.engine.cancel(TENANT, runId);
      await harness.drain();

      // Assess
      const view = await harness.view(runId);
      expect(view.status).toBe('CANCELLED');
      expect(view.nodes.each?.status).toBe('CANCELLED');
      expect([0, 1, 2, 3, 4].map((index) => probe.count(`each[${index}]`))).toEqual([1, 0, 0, 0, 0]);
    });

    it('have a lost item message sent again by the sweeper once the run has been quiet', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(PROBED({ maxConcurrency: 2 }));
      const runId = await harness.start('probed', { items: ['a', 'b', 'c', 'd', 'e'] });
      await harness.step(); // the map starts its two lanes
      for (;;) {
        // The lanes' first messages are lost (taken and deleted, unhandled).
        const batch = await harness.queue.receive({ max: 10 });
        if (batch.length === 0) break;
        for (const message of batch) await harness.queue.delete(message.receipt);
      }
      harness.clock.advance(11 * MINUTE);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(report.requeued).toBe(2);
      const view = await harness.view(runId);
      expect(view.status).toBe('SUCCEEDED');
      expect(view.nodes.each?.output).toEqual(['a', 'b', 'c', 'd', 'e'].map((v) => ({ v })));
      expect([0, 1, 2, 3, 4].map((index) => probe.count(`each[${index}]`))).toEqual([1, 1, 1, 1, 1]);
    });

    it('on cancel, mark the waiting items CANCELLED and cancel the child runs of workflow items', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await harness.publish({ id: 'nap', nodes: { sleep: { type: 'wait', with: { duration: '1h' } } } });
      await harness.publish({
        id: 'naps',
        inputs: { n: { type: 'array', required: true } },
        nodes: {
          each: {
            type: 'map',
            items: '{% $inputs.n %}',
            maxConcurrency: 2,
            node: { workflow: 'nap', version: '^1.0.0' },
          },
        },
      });
      const runId = await harness.start('naps', { n: [{}, {}, {}] });
      await settle(harness);
      const children = await harness.engine.listRuns(TENANT, { workflow: 'nap' });

      // Act
      await harness.engine.cancel(TENANT, runId);
      await settle(harness);

      // Assess
      expect(children.items.map((child) => child.status)).toEqual(['RUNNING', 'RUNNING']);
      expect(await itemStatuses(harness, runId, 'each')).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
      const after = await harness.engine.listRuns(TENANT, { workflow: 'nap' });
      expect(after.items.map((child) => child.status)).toEqual(['CANCELLED', 'CANCELLED']);
    });
  });
}
