import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { attemptStarts, fail, HOUR, js, type MakeHarness, MINUTE, probeHarness } from './scenario-kit.ts';

/** Gaps between consecutive attempts, in ms. */
const gaps = (starts: readonly number[]) => starts.slice(1).map((at, index) => at - (starts[index] ?? 0));

export function retryScenarios(makeHarness: MakeHarness) {
  describe('retries', () => {
    it('retries with a fixed backoff, waiting in RETRY_WAIT until wakeAt, and succeeds', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('flaky', ({ ctx }) =>
        ctx.attempt < 3 ? fail('THROTTLED', true) : { kind: 'succeeded', output: ctx.attempt },
      );
      await harness.publish({
        id: 'fixed',
        nodes: {
          flaky: {
            type: 'noop',
            retry: { maxAttempts: 3, backoff: 'fixed', initialDelay: '10s', jitter: false },
          },
        },
      });
      const startedAt = harness.clock.now();
      const runId = await harness.start('fixed');
      await harness.step();
      const waiting = await harness.view(runId);

      // Act
      await harness.drain();

      // Assess
      expect(waiting.nodes.flaky).toMatchObject({
        status: 'RETRY_WAIT',
        attempts: 1,
        wakeAt: new Date(startedAt + 10_000).toISOString(),
        error: { code: 'THROTTLED' },
      });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.flaky).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: 3 });
      expect(run.nodes.flaky?.error).toBeUndefined();
      expect(gaps(attemptStarts(harness, 'flaky'))).toEqual([10_000, 10_000]);
      expect(probe.count('flaky')).toBe(3);
    });

    it('doubles an exponential backoff up to maxDelay and fails once the attempts are exhausted', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('down', () => fail('UNAVAILABLE', true));
      await harness.publish({
        id: 'exponential',
        defaults: { retry: { backoff: 'exponential', initialDelay: '1s', maxDelay: '5s', jitter: false } },
        nodes: { down: { type: 'noop', retry: { maxAttempts: 6 } } },
      });

      // Act
      const run = await harness.run('exponential');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.down).toMatchObject({ status: 'FAILED', attempts: 6, error: { code: 'UNAVAILABLE' } });
      expect(run.error).toMatchObject({ code: 'UNAVAILABLE', nodeId: 'down' });
      expect(gaps(attemptStarts(harness, 'down'))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    });

    it('picks a jittered delay from the random source, rounded up to whole seconds by the queue', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness, { random: () => 0.25 });
      probe.on('flaky', ({ ctx }) =>
        ctx.attempt < 2 ? fail('THROTTLED', true) : { kind: 'succeeded', output: 'ok' },
      );
      await harness.publish({
        id: 'jitter',
        nodes: { flaky: { type: 'noop', retry: { maxAttempts: 2, backoff: 'fixed', initialDelay: '10s' } } },
      });
      const startedAt = harness.clock.now();
      const runId = await harness.start('jitter');
      await harness.step();
      const waiting = await harness.view(runId);

      // Act
      await harness.drain();

      // Assess
      expect(waiting.nodes.flaky?.wakeAt).toBe(new Date(startedAt + 2_500).toISOString());
      expect((await harness.view(runId)).nodes.flaky).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
      expect(gaps(attemptStarts(harness, 'flaky'))).toEqual([3_000]);
    });

    it('retries a code listed in retryOn even when not retryable, and not a code left out', async () => {
      // Prepare
      const harness = await makeHarness();
      const code = 'if (ctx.attempt < 3) throw new Error("try " + ctx.attempt); return ctx.attempt;';
      const retry = { maxAttempts: 3, backoff: 'fixed', initialDelay: '1s', jitter: false };
      await harness.publish({
        id: 'retry-on',
        nodes: {
          listed: js(code, { retry: { ...retry, retryOn: ['SCRIPT_ERROR'] } }),
          unlisted: js(code, { retry: { ...retry, retryOn: ['THROTTLED'] }, continueOnError: true }),
        },
      });

      // Act
      const run = await harness.run('retry-on');

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.listed).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: 3 });
      expect(run.nodes.unlisted).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'SCRIPT_ERROR' },
      });
      expect(run.nodes.unlisted?.error?.message).toContain('try 1');
    });

    it('retries a thrown script error under an explicit maxAttempts, and not one the script marks final', async () => {
      // Prepare
      const harness = await makeHarness();
      const retry = { maxAttempts: 3, backoff: 'fixed', initialDelay: '1s', jitter: false };
      await harness.publish({
        id: 'any-error',
        nodes: {
          js: js('if (ctx.attempt < 3) throw new Error("flaky " + ctx.attempt); return ctx.attempt;', {
            retry,
          }),
          lua: {
            type: 'script',
            language: 'lua',
            code: 'if ctx.attempt < 2 then error("flaky") end return ctx.attempt',
            retry,
          },
          final: js('throw new NonRetryableError("order 7 is malformed")', { retry, continueOnError: true }),
          once: js('throw new Error("no retry asked for")', { continueOnError: true }),
        },
      });

      // Act
      const run = await harness.run('any-error');

      // Assess
      expect(run.nodes.js).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: 3 });
      expect(run.nodes.lua).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
      expect(run.nodes.final).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'SCRIPT_ERROR', message: 'NonRetryableError: order 7 is malformed' },
      });
      expect(run.nodes.once).toMatchObject({ status: 'FAILED', attempts: 1 });
    });

    it('fails a non-retryable error at once, whatever maxAttempts says', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('strict', () => fail('BAD_REQUEST', false));
      await harness.publish({ id: 'once', nodes: { strict: { type: 'noop', retry: { maxAttempts: 5 } } } });
      const startedAt = harness.clock.now();

      // Act
      const run = await harness.run('once');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.strict).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'BAD_REQUEST' },
      });
      expect(probe.count('strict')).toBe(1);
      expect(harness.clock.now()).toBe(startedAt);
    });
  });

  describe('retention', () => {
    it("keeps an ended run for its definition's retentionDays, and a retried run as long as a new one", async () => {
      // Prepare
      const harness = await makeHarness();
      const DAY = 86_400;
      await harness.publish({
        id: 'kept',
        retentionDays: 3,
        timeout: '2d',
        nodes: { a: js('if (ctx.attempt === 1 && !inputs.ok) throw new Error("x"); return 1;') },
      });
      await harness.publish({ id: 'cut', nodes: { b: { type: 'noop' } } });
      const runId = await harness.start('kept');
      await harness.drain();
      const now = () => Math.floor(harness.clock.now() / 1000);

      // Act
      const failed = await harness.runs.getRun(runId);
      const cancelled = await harness.start('cut');
      await harness.engine.cancel(TENANT, cancelled);
      const stopped = await harness.runs.getRun(cancelled);
      harness.clock.advance(HOUR);
      const retried = await harness.engine.retry(TENANT, runId);

      // Assess: 3 days after the end; 30 (the default) for a definition without retentionDays;
      // a retry: its 2-day timeout plus 3 days from now
      expect(failed?.status).toBe('FAILED');
      expect(failed?.expiresAt).toBe(now() - 3600 + 3 * DAY);
      expect(stopped?.expiresAt).toBe(now() - 3600 + 30 * DAY);
      expect(retried.expiresAt).toBe(now() + (2 + 3) * DAY);
    });
  });

  describe('timeouts', () => {
    it('stops an endless js script at its node timeout with SCRIPT_TIMEOUT', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'endless',
        nodes: { spin: js('while (true) {}', { timeout: '200ms', retry: { maxAttempts: 3 } }) },
      });
      const began = performance.now();

      // Act
      const run = await harness.run('endless');

      // Assess
      expect(performance.now() - began).toBeLessThan(5_000);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.spin).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'SCRIPT_TIMEOUT' },
      });
      expect(run.nodes.spin?.error?.message).toContain('200 ms');
    });

    const slowWorkflow = {
      id: 'slow',
      timeout: '10m',
      nodes: { nap: { type: 'wait', with: { duration: '1h' } }, after: js('return 1', { needs: ['nap'] }) },
    };

    it('times out a run past its deadline when its next message arrives', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(slowWorkflow);

      // Act
      const run = await harness.run('slow');

      // Assess
      expect(run.status).toBe('TIMED_OUT');
      expect(run.error).toMatchObject({ code: 'RUN_TIMEOUT' });
      expect(run.nodes.nap).toMatchObject({ status: 'CANCELLED', reason: 'the run was timed out' });
      expect(run.nodes.after).toMatchObject({ status: 'CANCELLED', attempts: 0 });
      expect(run.progress).toMatchObject({ done: 2, percent: 100 });
    });

    it('times out a run from the sweeper as soon as the deadline has passed', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(slowWorkflow);
      const startedAt = harness.clock.now();
      const runId = await harness.start('slow');
      await harness.step();
      harness.clock.advance(9 * MINUTE);
      const early = await harness.engine.sweep();

      // Act
      harness.clock.advance(MINUTE + 1_000);
      const report = await harness.engine.sweep();
      const atSweep = await harness.view(runId);
      await harness.drain();

      // Assess
      expect(early.timedOut).toBe(0);
      expect(report.timedOut).toBe(1);
      expect(atSweep).toMatchObject({ status: 'TIMED_OUT', error: { code: 'RUN_TIMEOUT' } });
      expect(Date.parse(atSweep.endedAt ?? '') - startedAt).toBe(10 * MINUTE + 1_000);
      expect(atSweep.nodes.nap).toMatchObject({ status: 'CANCELLED', reason: 'the run was timed out' });
      const run = await harness.view(runId);
      expect(run.status).toBe('TIMED_OUT');
      expect(run.nodes.nap?.status).toBe('CANCELLED');
      expect(harness.clock.now() - startedAt).toBeGreaterThanOrEqual(HOUR);
      expect(await harness.engine.getRunRecord(TENANT, runId)).toMatchObject({ status: 'TIMED_OUT' });
    });
  });
}
