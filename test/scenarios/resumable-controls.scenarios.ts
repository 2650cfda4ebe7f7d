import { describe, expect, it } from 'vitest';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { LOST, lambda, lambdaHarness, takeMessage } from './epoch.scenarios.ts';
import { hookNodeWrites } from './node-writes.ts';
import { type MakeHarness, MINUTE } from './scenario-kit.ts';

/**
 * Controls that must survive their own death and scale: a retry killed partway and finished by the
 * sweeper or a second call, large cancels and retries in the background, and lost messages found
 * by the sweeper without multiplying what is merely queued (issue 14).
 */
export function resumableControlScenarios(makeHarness: MakeHarness) {
  describe('a retry that dies partway', () => {
    const failingSink = {
      id: 'partial',
      nodes: {
        a: lambda(),
        b: lambda({ needs: ['a'] }),
        c: lambda({ needs: ['a'] }),
        d: lambda({ needs: ['b', 'c'] }),
        e: lambda({ needs: ['a'] }),
      },
    };

    /** A run whose sink `e` failed, and a retry of `b` and `e` that dies after `resets` resets. */
    async function crashedRetry(makeHarnessFor: MakeHarness, resets: number) {
      const { harness: made, order } = lambdaHarness(makeHarnessFor, {
        e: (request) =>
          request.ctx.attempt === 1
            ? { kind: 'failed', error: { code: 'E', message: 'e failed', retryable: false } }
            : { kind: 'succeeded', output: 'e' },
      });
      const harness = await made;
      await harness.publish(failingSink);
      const runId = await harness.start('partial');
      await harness.drain(); // e fails; b, c and d succeed: the run FAILED
      const runs = harness.runs;
      const reset = runs.resetNode.bind(runs);
      let left = resets;
      runs.resetNode = async (...args) => {
        if (left <= 0) throw new Error('the retry died');
        left -= 1;
        return reset(...args);
      };
      const crash = await harness.engine.retry(TENANT, runId, ['b', 'e']).catch((error: unknown) => error);
      runs.resetNode = reset;
      return { harness, runId, crash, order };
    }

    for (const resets of [0, 1, 2]) {
      it(`is finished by the sweeper after dying at reset ${resets + 1}, never by ending the run early`, async () => {
        // Prepare
        const { harness, runId, crash } = await crashedRetry(makeHarness, resets);
        const pending = await harness.view(runId);
        harness.clock.advance(2 * MINUTE);

        // Act
        await harness.drain(); // nothing of the old epoch may end the run now
        const report = await harness.engine.sweep();
        await harness.drain();

        // Assess
        expect(crash).toBeInstanceOf(Error);
        expect(pending.status).toBe('QUEUED');
        expect(report.controls).toBe(1);
        const run = await harness.view(runId);
        expect(run.status).toBe('SUCCEEDED');
        expect(run.progress.byStatus).toEqual({ SUCCEEDED: 5 });
      });
    }

    it('is finished by a second retry call', async () => {
      // Prepare
      const { harness, runId } = await crashedRetry(makeHarness, 1);

      // Act
      const again = await harness.engine.retry(TENANT, runId);
      await harness.drain();

      // Assess
      expect(again.status).toBe('RUNNING');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.e).toMatchObject({ status: 'SUCCEEDED', output: 'e' });
    });
  });

  describe('large controls in the background', () => {
    const fanOut = (width: number) => {
      const nodes: Record<string, object> = { root: lambda() };
      for (let i = 0; i < width; i += 1) nodes[`n${i}`] = lambda({ needs: ['root'] });
      return { id: 'wide', nodes };
    };

    it('answers a large retry at once with the run QUEUED and its progress, then finishes it in slices', async () => {
      // Prepare
      const executors = defaultExecutors().override({
        type: 'lambda',
        execute: async (request) =>
          request.ctx.nodeId === 'root' && request.ctx.attempt === 1
            ? { kind: 'failed', error: { code: 'X', message: 'root failed', retryable: false } }
            : { kind: 'succeeded', output: request.ctx.nodeId },
      });
      const harness = await makeHarness({
        executors,
        settings: { inlineControlNodes: 10, controlSliceNodes: 16 },
      });
      await harness.publish(fanOut(60));
      const runId = (await harness.run('wide')).runId;

      // Act
      const answered = await harness.engine.retry(TENANT, runId);
      const view = await harness.view(runId);
      await harness.drain();

      // Assess
      expect(answered.status).toBe('QUEUED');
      expect(answered.control).toMatchObject({ action: 'retry', total: 61, done: 10 });
      expect(view.control).toMatchObject({ action: 'retry', total: 61 });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.control).toBeUndefined();
      expect(run.progress.byStatus).toEqual({ SUCCEEDED: 61 });
    });

    it('cancels a large run at once and marks its nodes in the background', async () => {
      // Prepare
      const { harness: made } = lambdaHarness(
        makeHarness,
        {},
        { inlineControlNodes: 10, controlSliceNodes: 16 },
      );
      const harness = await made;
      await harness.publish(fanOut(60));
      const executed: string[] = [];
      hookNodeWrites(harness.runs, {
        after: ({ nodeId, change }, node) => {
          if (node && change.set?.status === 'RUNNING') executed.push(nodeId);
        },
      });
      const runId = await harness.start('wide');
      await harness.step(); // root succeeds: 60 children are queued

      // Act
      const answered = await harness.engine.cancel(TENANT, runId);
      await harness.drain();

      // Assess
      expect(answered.status).toBe('CANCELLED');
      expect(answered.control).toMatchObject({ action: 'cancel', total: 60, done: 10 });
      const run = await harness.view(runId);
      expect(run.control).toBeUndefined();
      expect(run.progress.byStatus).toEqual({ SUCCEEDED: 1, CANCELLED: 60 });
      expect(executed).toEqual(['root']);
    });
  });

  describe('lost messages', () => {
    it('re-sends a root whose message was lost although another root already ran', async () => {
      // Prepare
      const { harness: made, order } = lambdaHarness(makeHarness);
      const harness = await made;
      await harness.publish({
        id: 'roots',
        nodes: { a: lambda(), b: lambda(), c: lambda({ needs: ['a', 'b'] }) },
      });
      const runId = await harness.start('roots');
      const b = await takeMessage(harness, 'b');
      await harness.queue.delete(b.receipt); // b's message is lost
      await harness.drain(); // a runs
      harness.clock.advance(LOST);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(report.requeued).toBe(1);
      expect(order).toEqual(['a#1', 'b#1', 'c#1']);
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });

    it('does not re-send children that are merely queued while the run is active', async () => {
      // Prepare
      const { harness: made } = lambdaHarness(makeHarness);
      const harness = await made;
      const nodes: Record<string, object> = { root: lambda() };
      for (let i = 0; i < 30; i += 1) nodes[`n${i}`] = lambda({ needs: ['root'] });
      await harness.publish({ id: 'backlog', nodes });
      const runId = await harness.start('backlog');
      await harness.step(); // root: 30 children queued behind it
      const sent = harness.queue.send.bind(harness.queue);
      let resent = 0;
      harness.queue.send = async (messages) => {
        resent += messages.length;
        return sent(messages);
      };

      // Act: the backlog drains slowly, one batch every 3 minutes, with sweeps in between
      const reports = [];
      for (let minute = 0; minute < 9; minute += 3) {
        harness.clock.advance(3 * MINUTE);
        reports.push(await harness.engine.sweep());
        await harness.step();
      }
      await harness.drain();

      // Assess
      expect(reports.map((report) => report.requeued)).toEqual([0, 0, 0]);
      expect(resent).toBe(0);
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });

    it('re-sends a lost child once, then waits twice as long before sending it again', async () => {
      // Prepare
      const { harness: made } = lambdaHarness(makeHarness);
      const harness = await made;
      await harness.publish({ id: 'ab', nodes: { a: lambda(), b: lambda({ needs: ['a'] }) } });
      const runId = await harness.start('ab');
      await harness.step(); // a succeeds and sends b
      const loseAll = async () => {
        for (const message of await harness.queue.receive({ max: 10 }))
          await harness.queue.delete(message.receipt);
      };
      await loseAll();

      // Act
      harness.clock.advance(LOST);
      const first = await harness.engine.sweep();
      await loseAll(); // lost again
      harness.clock.advance(LOST);
      const tooEarly = await harness.engine.sweep();
      harness.clock.advance(LOST);
      const second = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect([first.requeued, tooEarly.requeued, second.requeued]).toEqual([1, 0, 1]);
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });
  });
}
