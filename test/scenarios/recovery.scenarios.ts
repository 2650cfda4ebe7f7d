import { describe, expect, it } from 'vitest';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { chain, js, type MakeHarness, MINUTE, probeHarness } from './scenario-kit.ts';

/** Past the default `lostMessageMs` (10 minutes): a message not come by then is lost. */
const LOST = 11 * MINUTE;

/** Receives every visible message and deletes it unhandled, as if it had been lost. */
async function loseVisibleMessages(harness: WorkflowHarness): Promise<number> {
  const lost = await harness.queue.receive({ max: 10 });
  for (const message of lost) await harness.queue.delete(message.receipt);
  return lost.length;
}

export function recoveryScenarios(makeHarness: MakeHarness) {
  describe('recovery by the sweeper', () => {
    it('re-enqueues the roots of a run whose first messages were lost', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'lost-start',
        nodes: { a: js('return 1'), b: js('return 2'), c: js('return 3', { needs: ['a', 'b'] }) },
      });
      const runId = await harness.start('lost-start');
      const lost = await loseVisibleMessages(harness);
      harness.clock.advance(LOST);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(lost).toBe(2);
      expect(report).toMatchObject({ timedOut: 0, requeued: 2 });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.c).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: 3 });
    });

    it('wakes a waiting node whose wake-up message was lost', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'lost-wake', nodes: { nap: { type: 'wait', with: { seconds: 30 } } } });
      const runId = await harness.start('lost-wake');
      await harness.step();
      harness.clock.advance(30_000);
      const lost = await loseVisibleMessages(harness);
      harness.clock.advance(2 * MINUTE);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(lost).toBe(1);
      expect(report.requeued).toBe(1);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.nap).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    });

    it('re-enqueues the parked nodes of a run whose resume crashed before enqueuing them', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(chain);
      const runId = await harness.start('chain');
      await harness.engine.pause(TENANT, runId);
      await harness.drain();
      // The resume flipped the run, then its process died.
      await harness.runs.updateRun(runId, ['PAUSED'], {
        status: 'RUNNING',
        updatedAt: new Date(harness.clock.now()).toISOString(),
      });
      harness.clock.advance(2 * MINUTE);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(report.requeued).toBe(2);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.outputs).toEqual({ c: { from: 'a+b' } });
    });

    it('enqueues the frontier of a retry that crashed before enqueuing it', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'crashy-retry',
        nodes: {
          a: js('return 1'),
          b: js('if (ctx.attempt === 1) throw new Error("first try"); return 2', { needs: ['a'] }),
          c: js('return 3', { needs: ['b'] }),
        },
      });
      const failed = await harness.run('crashy-retry');
      const send = harness.queue.send.bind(harness.queue);
      harness.queue.send = async () => {
        throw new Error('the process died');
      };
      const crash = await harness.engine.retry(TENANT, failed.runId).catch((error: unknown) => error);
      harness.queue.send = send;
      harness.clock.advance(LOST);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(crash).toBeInstanceOf(Error);
      expect(report.requeued).toBe(1);
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
      expect(run.nodes.c).toMatchObject({ status: 'SUCCEEDED', output: 3 });
    });

    it('releases the children of finished nodes when the queue lost everything (a restart)', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'lost-queue',
        nodes: {
          a: js('return 1'),
          b: js('return 2', { needs: ['a'] }),
          c: js('return 3', { needs: ['a'] }),
          d: js('return 4', { needs: ['b', 'c'] }),
          e: js('return 5', { needs: ['a'] }),
        },
      });
      const runId = await harness.start('lost-queue');
      await harness.step(); // a finishes and sends b, c and e
      await harness.step(); // b, c and e finish: d's join is complete and d is sent
      const lost = await loseVisibleMessages(harness);
      harness.clock.advance(LOST);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(lost).toBe(1);
      expect(report.requeued).toBe(1);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.d).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    });

    it('redoes the release of a node whose children were never sent, and ends the run', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'lost-release',
        nodes: {
          a: js('return 1'),
          b: js('return 2', { needs: ['a'] }),
          c: js('return 3', { needs: ['a'] }),
        },
      });
      const runId = await harness.start('lost-release');
      const send = harness.queue.send.bind(harness.queue);
      harness.queue.send = async () => undefined; // the release of a is lost on its way
      await harness.step();
      harness.queue.send = send;
      harness.clock.advance(LOST);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(report.requeued).toBe(2);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.progress.byStatus).toEqual({ SUCCEEDED: 3 });
    });

    it('leaves a healthy run alone', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'healthy', nodes: { nap: { type: 'wait', with: { duration: '1h' } } } });
      const runId = await harness.start('healthy');
      await harness.step();
      harness.clock.advance(10 * MINUTE);

      // Act
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(report).toEqual({
        runsChecked: 1,
        timedOut: 0,
        requeued: 0,
        released: 0,
        controls: 0,
        errors: 0,
      });
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });
  });

  describe('handing a node back when the worker runs out of time', () => {
    it('hands a node back unstarted when the worker has no time left, without counting an attempt', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish({ id: 'late', nodes: { a: { type: 'noop', with: { v: 1 } } } });
      const runId = await harness.start('late');
      const [message] = await harness.queue.receive({ max: 1 });

      // Act
      const result = await harness.engine.handleMessage(message?.body ?? '', { remainingMs: 1_000 });
      await harness.queue.delete(message?.receipt ?? '');
      const handedBack = await harness.view(runId);
      await harness.drain();

      // Assess
      expect(result).toEqual({ kind: 'done' });
      expect(handedBack.nodes.a).toMatchObject({ status: 'READY', attempts: 0 });
      const run = await harness.view(runId);
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { v: 1 } });
      expect(probe.count('a')).toBe(1);
    });

    it('hands back a script cut short by the worker deadline instead of failing it', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'cut', nodes: { spin: js('while (true) {}', { timeout: '20s' }) } });
      const runId = await harness.start('cut');
      const [message] = await harness.queue.receive({ max: 1 });

      // Act
      await harness.engine.handleMessage(message?.body ?? '', { remainingMs: 2_200 });

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('RUNNING');
      expect(run.nodes.spin).toMatchObject({ status: 'READY', attempts: 0 });
      expect(run.nodes.spin?.error).toBeUndefined();
    });

    it('fails a node handed back maxHandBacks times with WORKER_TIME_EXCEEDED, naming its pool', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish({ id: 'never-time', nodes: { slow: { type: 'noop', pool: 'gpu' } } });
      const runId = await harness.start('never-time');
      const states: string[] = [];

      // Act: every worker that gets the node has 1 s left, less than the hand-back margin
      for (let delivery = 0; delivery < 5; delivery++) {
        const [message] = await harness.queue.receive({ max: 1 });
        if (!message) break;
        await harness.engine.handleMessage(message.body, { remainingMs: 1_000 });
        await harness.queue.delete(message.receipt);
        states.push((await harness.view(runId)).nodes.slow?.status ?? '?');
      }

      // Assess
      expect(states).toEqual(['READY', 'READY', 'FAILED']);
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.slow?.error?.code).toBe('WORKER_TIME_EXCEEDED');
      expect(run.nodes.slow?.error?.message).toContain('pool "gpu"');
      expect(probe.count('slow')).toBe(0);
    });

    it('gives a node without a timeout at most what its pool can run', async () => {
      // Prepare: pools of 60 s and 900 s; the engine default (300 s) would outlast the first
      const settings = { poolTimeoutsMs: { default: 60_000, long: 900_000 } };
      const { harness, probe } = await probeHarness(makeHarness, { settings });
      const budgets: Record<string, number> = {};
      for (const nodeId of ['short', 'long', 'own']) {
        probe.on(nodeId, (request) => {
          budgets[nodeId] = request.ctx.timeoutMs ?? -1;
          return { kind: 'succeeded', output: null };
        });
      }
      await harness.publish({
        id: 'pool-time',
        nodes: {
          short: { type: 'noop' },
          long: { type: 'noop', pool: 'long' },
          own: { type: 'noop', timeout: '20s' },
        },
      });

      // Act
      const runId = await harness.start('pool-time');
      await harness.drain();

      // Assess: the pool's function timeout minus the 5 s margin; the engine default; its own
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
      expect(budgets).toEqual({ short: 55_000, long: 300_000, own: 20_000 });
    });
  });
}
