import { describe, expect, it } from 'vitest';
import type { SkeinError } from '../../shared/domain/problems.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { chain, js, type MakeHarness, probeHarness, refusal } from './scenario-kit.ts';

/** `a` → `b` (fails on its first attempt) → `c`, with `a` and `c` counted by the probe. */
const flaky = {
  id: 'flaky',
  outputs: { c: '{% $nodes.c.output %}' },
  nodes: {
    a: { type: 'noop', with: { v: 1 } },
    b: js('if (ctx.attempt === 1) throw new Error("first try"); return inputs.v + 1', {
      needs: ['a'],
      with: { v: '{% $nodes.a.output.v %}' },
    }),
    c: { type: 'noop', needs: ['b'], with: { v: '{% $nodes.b.output %}' } },
  },
};

export function rerunScenarios(makeHarness: MakeHarness) {
  describe('retrying a run', () => {
    it('reruns the failed node and what follows it, keeping the succeeded nodes and their outputs', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(flaky);
      const failed = await harness.run('flaky');

      // Act
      const retried = await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();

      // Assess
      expect(failed.status).toBe('FAILED');
      expect(failed.nodes.b).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { message: 'first try' },
      });
      expect(failed.nodes.c?.status).toBe('SKIPPED');
      expect(retried).toMatchObject({ status: 'RUNNING' });
      expect(retried.error).toBeUndefined();
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.error).toBeUndefined();
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { v: 1 } });
      // Attempts keep counting across retries of the run.
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
      expect(run.nodes.b?.error).toBeUndefined();
      expect(run.nodes.c).toMatchObject({ status: 'SUCCEEDED', output: { v: 2 } });
      expect(run.outputs).toEqual({ c: { v: 2 } });
      expect([probe.count('a'), probe.count('c')]).toEqual([1, 1]);
    });

    it('reruns named nodes and everything downstream of them', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(flaky);
      const failed = await harness.run('flaky');

      // Act
      const unknown = await refusal(harness.engine.retry(TENANT, failed.runId, ['a', 'zz']));
      await harness.engine.retry(TENANT, failed.runId, ['a']);
      await harness.drain();

      // Assess
      expect(unknown).toMatchObject({ code: 'UNKNOWN_NODE', kind: 'unprocessable', path: '$.nodes[1]' });
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
      expect([probe.count('a'), probe.count('c')]).toEqual([2, 1]);
    });

    it('refuses a retry whose named nodes would leave a failed node failed', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'two-branches',
        nodes: { ok: js('return 1'), bad: js('throw new Error("broken")') },
      });
      const failed = await harness.run('two-branches');

      // Act
      const refused = await refusal(harness.engine.retry(TENANT, failed.runId, ['ok']));

      // Assess
      expect(refused).toMatchObject({ code: 'RUN_STATE', kind: 'conflict' });
      expect(refused.message).toContain('"bad" failed');
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.ok).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    });

    it('finishes a cancelled run on retry without rerunning what had succeeded', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(chain);
      const runId = await harness.start('chain');
      await harness.step();
      await harness.engine.cancel(TENANT, runId);
      await harness.drain();

      // Act
      await harness.engine.retry(TENANT, runId);
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.nap?.status).toBe('SUCCEEDED');
      expect(run.outputs).toEqual({ c: { from: 'a+b' } });
      expect([probe.count('a'), probe.count('b'), probe.count('c')]).toEqual([1, 1, 1]);
    });

    it('refuses to retry while a node of the stopped run is still running', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish(chain);
      const refusals: SkeinError[] = [];
      probe.on('a', async ({ ctx, inputs }) => {
        await harness.engine.cancel(TENANT, ctx.runId);
        refusals.push(await refusal(harness.engine.retry(TENANT, ctx.runId)));
        return { kind: 'succeeded', output: inputs };
      });

      // Act
      const run = await harness.run('chain');

      // Assess
      expect(run.status).toBe('CANCELLED');
      expect(run.nodes.a?.status).toBe('SUCCEEDED');
      expect(refusals[0]).toMatchObject({ code: 'RUN_STATE', kind: 'conflict' });
      expect(refusals[0]?.message).toContain('node "a" is still running');
    });

    it('reruns a failed parent of a join and completes the join with the kept parent', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish({
        id: 'join-retry',
        outputs: { sum: '{% $nodes.join.output %}' },
        nodes: {
          kept: { type: 'noop', with: { v: 1 } },
          bad: js('if (ctx.attempt === 1) throw new Error("first try"); return 2'),
          join: js('return inputs.a + inputs.b', {
            needs: ['kept', 'bad'],
            with: { a: '{% $nodes.kept.output.v %}', b: '{% $nodes.bad.output %}' },
          }),
        },
      });
      const failed = await harness.run('join-retry');

      // Act
      await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();

      // Assess
      expect(failed.nodes.join).toMatchObject({
        status: 'SKIPPED',
        reason: 'parent "bad" failed (trigger all_success)',
      });
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.join).toMatchObject({ status: 'SUCCEEDED', output: 3 });
      expect(run.outputs).toEqual({ sum: 3 });
      expect(probe.count('kept')).toBe(1);
    });

    it('ends a retried run once its rerun sinks finish, with the kept sinks counted again', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      const nodes: Record<string, object> = { root: { type: 'noop' } };
      for (let i = 0; i < 70; i += 1) nodes[`s${i}`] = { type: 'noop', needs: ['root'] };
      nodes.s66 = js('if (ctx.attempt === 1) throw new Error("first try"); return 66', { needs: ['root'] });
      await harness.publish({ id: 'sinks', nodes });
      const failed = await harness.run('sinks');

      // Act
      await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();

      // Assess
      expect(failed.status).toBe('FAILED');
      expect(failed.progress.byStatus).toEqual({ SUCCEEDED: 70, FAILED: 1 });
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.progress.byStatus).toEqual({ SUCCEEDED: 71 });
      expect(run.nodes.s66).toMatchObject({ attempts: 2, output: 66 });
      expect([probe.count('root'), probe.count('s0'), probe.count('s69')]).toEqual([1, 1, 1]);
    });

    it('keeps counting attempts across retries of the run, so spent retries are not renewed', async () => {
      // Prepare
      const harness = await makeHarness();
      const retry = {
        maxAttempts: 2,
        retryOn: ['SCRIPT_ERROR'],
        backoff: 'fixed',
        initialDelay: '1s',
        jitter: false,
      };
      await harness.publish({
        id: 'stubborn',
        nodes: {
          a: js('if (ctx.attempt < 4) throw new Error("try " + ctx.attempt); return ctx.attempt', { retry }),
        },
      });
      const failed = await harness.run('stubborn');

      // Act
      await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();
      const again = await harness.view(failed.runId);
      await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();

      // Assess
      expect(failed.nodes.a).toMatchObject({ status: 'FAILED', attempts: 2, error: { message: 'try 2' } });
      expect(again.nodes.a).toMatchObject({ status: 'FAILED', attempts: 3, error: { message: 'try 3' } });
      const run = await harness.view(failed.runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 4, output: 4 });
    });
  });
}
