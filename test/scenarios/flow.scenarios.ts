import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../shared/ports/run-store.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { failing, js, type MakeHarness, probeHarness, skipped, until } from './scenario-kit.ts';

const PARENTS = { bad: failing(), off: skipped(), good: js('return "good"') } as const;

/** A join over `parents` with `rule`: `bad` fails, `off` is skipped by `when`, `good` succeeds. */
function joinWorkflow(rule: string, parents: readonly (keyof typeof PARENTS)[]) {
  const nodes: Record<string, object> = Object.fromEntries(parents.map((id) => [id, PARENTS[id]]));
  nodes.join = js('return "joined"', { needs: parents, trigger: rule });
  return { id: 'join', nodes };
}

export function flowScenarios(makeHarness: MakeHarness) {
  describe('`when` and skips', () => {
    it('skips a node whose `when` is false and every all_success node below it', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'skips',
        inputs: { go: { type: 'boolean', default: false } },
        nodes: {
          gate: js('return 1', { when: '{% $inputs.go %}' }),
          mid: js('return 2', { needs: ['gate'] }),
          end: js('return 3', { needs: ['mid'] }),
          other: js('return 4', { when: '{% $not($inputs.go) %}' }),
        },
      });

      // Act
      const run = await harness.run('skips');

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.gate).toMatchObject({ status: 'SKIPPED', reason: '`when` is false' });
      expect(run.nodes.gate?.output).toBeUndefined();
      expect(run.nodes.mid).toMatchObject({
        status: 'SKIPPED',
        reason: 'parent "gate" was skipped (trigger all_success)',
      });
      expect(run.nodes.end).toMatchObject({
        status: 'SKIPPED',
        reason: 'parent "mid" was skipped (trigger all_success)',
      });
      expect(run.nodes.other).toMatchObject({ status: 'SUCCEEDED', output: 4 });
    });
  });

  describe('join trigger rules', () => {
    const cases: [string, readonly (keyof typeof PARENTS)[], string, string | undefined][] = [
      ['all_success', ['good', 'bad'], 'SKIPPED', 'parent "bad" failed (trigger all_success)'],
      ['all_success', ['good', 'off'], 'SKIPPED', 'parent "off" was skipped (trigger all_success)'],
      ['all_done', ['good', 'bad', 'off'], 'SUCCEEDED', undefined],
      ['one_success', ['good', 'off'], 'SUCCEEDED', undefined],
      ['one_success', ['off', 'bad'], 'SKIPPED', 'no parent succeeded (trigger one_success)'],
      ['none_failed', ['good', 'off'], 'SUCCEEDED', undefined],
      ['none_failed', ['good', 'bad'], 'SKIPPED', 'parent "bad" failed (trigger none_failed)'],
    ];
    for (const [rule, parents, status, reason] of cases) {
      it(`${status === 'SUCCEEDED' ? 'runs' : 'skips'} a join with trigger ${rule} over ${parents.join(' + ')}`, async () => {
        // Prepare
        const harness = await makeHarness();
        await harness.publish(joinWorkflow(rule, parents));

        // Act
        const run = await harness.run('join');

        // Assess
        // A failed parent fails the run, whatever the join does.
        expect(run.status).toBe(parents.includes('bad') ? 'FAILED' : 'SUCCEEDED');
        expect(run.nodes.join?.status).toBe(status);
        if (reason) expect(run.nodes.join?.reason).toBe(reason);
        else expect(run.nodes.join?.output).toBe('joined');
      });
    }

    it('cancels a one_success join that may run when another parent failed, since the run is failing', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(joinWorkflow('one_success', ['good', 'bad']));

      // Act
      const run = await harness.run('join');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.join).toMatchObject({ status: 'CANCELLED' });
      expect(run.nodes.join?.reason).toContain('node "bad" failed');
    });

    it('waits for every parent of a one_success join before deciding, even after one succeeded', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'slow-parent',
        nodes: {
          fast: js('return 1'),
          slow: { type: 'wait', with: { seconds: 60 } },
          join: js('return 2', { needs: ['fast', 'slow'], trigger: 'one_success' }),
        },
      });
      const startedAt = harness.clock.now();

      // Act
      const run = await harness.run('slow-parent');

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.join).toMatchObject({ status: 'SUCCEEDED', output: 2 });
      expect(Date.parse(run.nodes.join?.startedAt ?? '') - startedAt).toBe(60_000);
    });
  });

  describe('condition nodes', () => {
    const branching = {
      id: 'branch',
      inputs: { amount: { type: 'number', required: true } },
      outputs: { path: '{% $nodes.merge.output %}' },
      nodes: {
        check: { type: 'condition', if: '{% $inputs.amount > 100 %}', then: ['big'], else: ['small'] },
        big: js('return "big"', { needs: ['check'] }),
        review: js('return "reviewed"', { needs: ['big'] }),
        small: js('return "small"', { needs: ['check'] }),
        merge: js('return inputs.r ?? inputs.s', {
          needs: ['review', 'small'],
          trigger: 'none_failed',
          with: { r: '{% $nodes.review.output %}', s: '{% $nodes.small.output %}' },
        }),
        strict: js('return 1', { needs: ['review', 'small'] }),
      },
    };

    it('runs the then branch and skips the else branch with what follows it', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(branching);

      // Act
      const run = await harness.run('branch', { amount: 500 });

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.check).toMatchObject({
        status: 'SUCCEEDED',
        output: { result: true, branch: 'then' },
      });
      expect(run.nodes.big).toMatchObject({ status: 'SUCCEEDED', output: 'big' });
      expect(run.nodes.review).toMatchObject({ status: 'SUCCEEDED', output: 'reviewed' });
      expect(run.nodes.small).toMatchObject({
        status: 'SKIPPED',
        attempts: 0,
        reason: 'branch not taken: condition "check" chose "then", and "small" is on the other branch',
      });
      expect(run.nodes.merge).toMatchObject({ status: 'SUCCEEDED', output: 'reviewed' });
      expect(run.nodes.strict).toMatchObject({
        status: 'SKIPPED',
        attempts: 0,
        reason: 'parent "small" was skipped (trigger all_success)',
      });
      expect(run.outputs).toEqual({ path: 'reviewed' });
    });

    it('runs the else branch and skips the then branch and its descendants', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(branching);

      // Act
      const run = await harness.run('branch', { amount: 5 });

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.check).toMatchObject({
        status: 'SUCCEEDED',
        output: { result: false, branch: 'else' },
      });
      expect(run.nodes.big?.status).toBe('SKIPPED');
      expect(run.nodes.review).toMatchObject({
        status: 'SKIPPED',
        reason: 'parent "big" was skipped (trigger all_success)',
      });
      expect(run.nodes.small).toMatchObject({ status: 'SUCCEEDED', output: 'small' });
      expect(run.nodes.merge).toMatchObject({ status: 'SUCCEEDED', output: 'small' });
      expect(run.nodes.strict?.status).toBe('SKIPPED');
      expect(run.outputs).toEqual({ path: 'small' });
    });
  });

  describe('failures', () => {
    it('fails the run only once the nodes in flight have finished, and cancels what had not started', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      await harness.publish({
        id: 'fails',
        nodes: {
          bad: failing(),
          slow: { type: 'wait', with: { seconds: 60 } },
          sibling: { type: 'noop' },
          next: { type: 'noop', needs: ['sibling'] },
          after: { type: 'noop', needs: ['bad'] },
        },
      });
      const seen: RunRecord[] = [];
      // `sibling` runs in the same batch as `bad` and finishes only once `bad` has failed the run.
      probe.on('sibling', async ({ ctx }) => {
        await until(async () => (await harness.engine.getRunRecord(TENANT, ctx.runId)).failed === true);
        seen.push(await harness.engine.getRunRecord(TENANT, ctx.runId));
        return { kind: 'succeeded', output: 'done' };
      });
      const runId = await harness.start('fails');

      // Act
      await harness.drain();

      // Assess
      expect(seen[0]).toMatchObject({ status: 'RUNNING', failed: true, error: { nodeId: 'bad' } });
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatchObject({ code: 'SCRIPT_ERROR', nodeId: 'bad' });
      expect(run.nodes.bad).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'SCRIPT_ERROR' } });
      expect(run.nodes.sibling).toMatchObject({ status: 'SUCCEEDED', output: 'done' });
      expect(run.nodes.next).toMatchObject({
        status: 'CANCELLED',
        attempts: 0,
        reason: 'not started: node "bad" failed, so the run is failing',
      });
      // The wait had started: it says so, and keeps its one attempt.
      expect(run.nodes.slow).toMatchObject({
        status: 'CANCELLED',
        attempts: 1,
        reason: 'stopped while waiting: node "bad" failed, so the run is failing',
      });
      expect(run.nodes.after).toMatchObject({
        status: 'SKIPPED',
        reason: 'parent "bad" failed (trigger all_success)',
      });
      expect(probe.count('next')).toBe(0);
    });

    it('lets the run succeed and the children run past a node with continueOnError', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'tolerant',
        outputs: { after: '{% $nodes.after.output %}' },
        nodes: {
          flaky: failing({ continueOnError: true }),
          after: js('return "ran"', { needs: ['flaky'] }),
        },
      });

      // Act
      const run = await harness.run('tolerant');

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.error).toBeUndefined();
      expect(run.nodes.flaky).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'SCRIPT_ERROR' },
      });
      expect(run.nodes.after).toMatchObject({ status: 'SUCCEEDED', output: 'ran' });
      expect(run.outputs).toEqual({ after: 'ran' });
    });

    it('still runs an all_done cleanup node after a failure, and the run ends FAILED', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'cleanup',
        nodes: {
          work: failing(),
          cleanup: js('return "cleaned"', { needs: ['work'], trigger: 'all_done' }),
          report: js('return "reported"', { needs: ['cleanup'] }),
        },
      });

      // Act
      const run = await harness.run('cleanup');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatchObject({ nodeId: 'work' });
      expect(run.nodes.cleanup).toMatchObject({ status: 'SUCCEEDED', output: 'cleaned' });
      expect(run.nodes.report).toMatchObject({ status: 'CANCELLED' });
    });
  });
}
