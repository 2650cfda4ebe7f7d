import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { chain, type MakeHarness, probeHarness, refusal } from './scenario-kit.ts';

export function controlScenarios(makeHarness: MakeHarness) {
  describe('pause and resume', () => {
    it('parks nodes picked up while paused, lets a running node finish, and resumes to success', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(chain);
      probe.on('a', async ({ ctx, inputs }) => {
        await harness.engine.pause(TENANT, ctx.runId);
        return { kind: 'succeeded', output: inputs };
      });
      const runId = await harness.start('chain');
      await harness.drain();
      const paused = await harness.view(runId);
      const whilePaused = probe.count('b');

      // Act
      const resumed = await harness.engine.resume(TENANT, runId);
      await harness.drain();

      // Assess
      expect(paused.status).toBe('PAUSED');
      expect(paused.nodes.a).toMatchObject({ status: 'SUCCEEDED', output: { from: 'a' } });
      expect(paused.nodes.b).toMatchObject({ status: 'PARKED', attempts: 0 });
      expect(paused.nodes.nap?.status).toBe('PARKED');
      expect(paused.nodes.c).toMatchObject({ status: 'PENDING', attempts: 0 });
      expect(whilePaused).toBe(0);
      expect(resumed.status).toBe('RUNNING');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(run.nodes.nap).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(run.outputs).toEqual({ c: { from: 'a+b' } });
      expect([probe.count('a'), probe.count('b')]).toEqual([1, 1]);
      const types = harness.events.map((event) => event.type);
      expect(types).toEqual(
        expect.arrayContaining(['run.paused', 'node.parked', 'run.resumed', 'run.succeeded']),
      );
    });
  });

  describe('cancel', () => {
    it('cancels pending and waiting nodes, ends the run CANCELLED and starts nothing after', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(chain);
      const runId = await harness.start('chain');
      await harness.step();

      // Act
      const cancelled = await harness.engine.cancel(TENANT, runId);
      const startsBefore = harness.events.filter((event) => event.type === 'node.started').length;
      await harness.drain();

      // Assess
      expect(cancelled.status).toBe('CANCELLED');
      const run = await harness.view(runId);
      expect(run.status).toBe('CANCELLED');
      expect(run.endedAt).toBeDefined();
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', output: { from: 'a' } });
      expect(run.nodes.nap).toMatchObject({ status: 'CANCELLED', reason: 'the run was cancelled' });
      expect(run.nodes.b).toMatchObject({
        status: 'CANCELLED',
        attempts: 0,
        reason: 'the run was cancelled',
      });
      expect(run.nodes.c).toMatchObject({ status: 'CANCELLED', attempts: 0 });
      expect(run.outputs).toBeUndefined();
      expect(harness.events.filter((event) => event.type === 'node.started')).toHaveLength(startsBefore);
      expect([probe.count('b'), probe.count('c')]).toEqual([0, 0]);
    });
  });

  describe('invalid transitions', () => {
    it('answers 409 RUN_STATE naming the current state for every control the state does not allow', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'quick', nodes: { a: { type: 'noop' } } });
      await harness.publish({ id: 'slow', nodes: { a: { type: 'wait', with: { seconds: 60 } } } });
      const done = await harness.run('quick');
      const running = await harness.start('slow');
      const cancelled = await harness.start('slow');
      await harness.engine.cancel(TENANT, cancelled);
      const paused = await harness.start('slow');
      await harness.engine.pause(TENANT, paused);

      // Act
      const refused = [
        await refusal(harness.engine.pause(TENANT, done.runId)),
        await refusal(harness.engine.resume(TENANT, running)),
        await refusal(harness.engine.cancel(TENANT, cancelled)),
        await refusal(harness.engine.retry(TENANT, done.runId)),
        await refusal(harness.engine.pause(TENANT, paused)),
        await refusal(harness.engine.retry(TENANT, running)),
      ];

      // Assess
      const states = ['SUCCEEDED', 'RUNNING', 'CANCELLED', 'SUCCEEDED', 'PAUSED', 'RUNNING'];
      refused.forEach((error, index) => {
        expect(error).toMatchObject({ code: 'RUN_STATE', kind: 'conflict' });
        expect(error.message).toContain(`it is ${states[index]}`);
      });
      expect((await harness.view(done.runId)).status).toBe('SUCCEEDED');
      expect((await harness.view(cancelled)).status).toBe('CANCELLED');
    });

    it("answers 404 for another tenant's run, whatever the control", async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'slow', nodes: { a: { type: 'wait', with: { seconds: 60 } } } });
      const runId = await harness.start('slow');
      const other = 'intruder';

      // Act
      const refused = [
        await refusal(harness.engine.getRun(other, runId)),
        await refusal(harness.engine.getRunRecord(other, runId)),
        await refusal(harness.engine.pause(other, runId)),
        await refusal(harness.engine.resume(other, runId)),
        await refusal(harness.engine.cancel(other, runId)),
        await refusal(harness.engine.retry(other, runId)),
        await refusal(harness.engine.getRun(TENANT, 'no-such-run')),
      ];

      // Assess
      for (const error of refused) expect(error).toMatchObject({ code: 'NOT_FOUND', kind: 'not_found' });
      expect((await harness.view(runId)).status).toBe('RUNNING');
    });
  });
}
