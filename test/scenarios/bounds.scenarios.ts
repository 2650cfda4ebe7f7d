import { describe, expect, it } from 'vitest';
import { sharedSandbox } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import type { ExecutionRequest, ExecutionResult } from '../../shared/ports/executor.ts';
import { ItemTooLargeError } from '../../shared/ports/run-store.ts';
import type { Sandbox } from '../../shared/ports/sandbox.ts';
import { hookNodeWrites } from './node-writes.ts';
import { type MakeHarness, MINUTE, until } from './scenario-kit.ts';

const KB = 1024;
const bytes = (text: string | undefined) => Buffer.byteLength(text ?? '', 'utf8');

function lambdaHarness(
  makeHarness: MakeHarness,
  execute: (request: ExecutionRequest<unknown>) => Promise<ExecutionResult>,
) {
  return makeHarness({ executors: defaultExecutors().override({ type: 'lambda', execute }) });
}

/** Every value the engine stores is bounded, and a result that cannot be stored ends the node. */
export function boundsScenarios(makeHarness: MakeHarness) {
  describe('bounded stored values', () => {
    it('keeps 4 KB of a 1 MB thrown message, marked as cut, on the node and the run, in one attempt', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'loud',
        nodes: {
          a: { type: 'script', language: 'js', code: 'throw new Error("x".repeat(1000000))' },
          b: { type: 'script', language: 'lua', code: 'error(string.rep("y", 1000000))' },
        },
      });

      // Act
      const run = await harness.run('loud');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.a).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'SCRIPT_ERROR' } });
      expect(bytes(run.nodes.a?.error?.message)).toBeLessThanOrEqual(4 * KB);
      expect(run.nodes.a?.error?.message).toMatch(/… \(truncated: \d+ (bytes|characters) in all\)$/);
      expect(run.nodes.b).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'SCRIPT_ERROR' } });
      expect(bytes(run.nodes.b?.error?.message)).toBeLessThanOrEqual(4 * KB);
      expect(run.nodes.b?.error?.message).toMatch(/… \(truncated: \d+ (bytes|characters) in all\)$/);
      expect(bytes(run.error?.message)).toBeLessThanOrEqual(4 * KB);
    });

    it('bounds an executor’s error code and message, also while the node waits to retry', async () => {
      // Prepare
      const harness = await lambdaHarness(makeHarness, async () => ({
        kind: 'failed',
        error: { code: 'E'.repeat(10_000), message: 'é'.repeat(600_000), retryable: true },
      }));
      await harness.publish({
        id: 'shouty',
        nodes: { a: { type: 'lambda', function: 'f', retry: { maxAttempts: 2, initialDelay: '1s' } } },
      });
      const runId = await harness.start('shouty');
      await harness.step();
      const waiting = await harness.view(runId);

      // Act
      await harness.drain();

      // Assess
      expect(waiting.nodes.a?.status).toBe('RETRY_WAIT');
      const run = await harness.view(runId);
      expect(run.nodes.a).toMatchObject({ status: 'FAILED', attempts: 2 });
      for (const error of [waiting.nodes.a?.error, run.nodes.a?.error, run.error]) {
        expect(error?.code.length).toBeLessThanOrEqual(100);
        expect(bytes(error?.message)).toBeLessThanOrEqual(4 * KB);
        expect(error?.message).not.toContain('\uFFFD'); // never cut inside a character
      }
    });

    it('fails an http node with a 500 KB URL once, with a bounded message', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'long-url',
        nodes: {
          a: {
            type: 'http',
            // Loopback is refused before any request: the failure is deterministic and offline.
            with: { method: 'POST', url: `http://127.0.0.1/${'p'.repeat(500 * KB)}` },
            retry: { maxAttempts: 1 },
          },
        },
      });

      // Act
      const run = await harness.run('long-url');

      // Assess
      expect(run.nodes.a).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(bytes(run.nodes.a?.error?.message)).toBeLessThanOrEqual(4 * KB);
      expect(run.status).toBe('FAILED');
    });

    it('ends a node FAILED with SAVE_FAILED, once, when the store refuses its result as too large, and logs it', async () => {
      // Prepare
      let executions = 0;
      const harness = await lambdaHarness(makeHarness, async () => {
        executions += 1;
        return { kind: 'succeeded', output: { big: 'x' } };
      });
      hookNodeWrites(harness.runs, {
        before: ({ change }) => {
          if (change.set?.output !== undefined)
            throw new ItemTooLargeError('item size has exceeded the limit');
        },
      });
      await harness.publish({
        id: 'unstorable',
        nodes: { a: { type: 'lambda', function: 'f' }, b: { type: 'noop', needs: ['a'] } },
      });

      // Act
      const run = await harness.run('unstorable');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.a).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'SAVE_FAILED' } });
      expect(run.nodes.b?.status).toBe('SKIPPED');
      expect(executions).toBe(1);
      expect(harness.logs).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ nodeId: 'a', attempt: 1 }) }),
      ]);
    });
  });

  describe('a sandbox that fails', () => {
    it('retries an expression whose sandbox failed (EXPRESSION_ENGINE) per the retry policy, in `with` and `when`', async () => {
      // Prepare
      const real = sharedSandbox();
      let failures = 2;
      const flaky: Sandbox = {
        runScript: (job, signal) => real.runScript(job, signal),
        close: async () => undefined,
        evaluate: async (job, signal) => {
          if (failures > 0) {
            failures -= 1;
            return { ok: false, error: { code: 'EXPRESSION_ENGINE', message: 'the host died', path: '$' } };
          }
          return real.evaluate(job, signal);
        },
      };
      const harness = await makeHarness({ sandbox: flaky });
      await harness.publish({
        id: 'flaky-sandbox',
        defaults: { retry: { maxAttempts: 3, initialDelay: '1s', jitter: false } },
        nodes: { a: { type: 'noop', when: '{% true %}', with: { v: '{% 1 + 1 %}' } } },
      });

      // Act
      const run = await harness.run('flaky-sandbox');

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: { v: 2 } });
    });
  });

  describe('a worker that dies mid-attempt', () => {
    const hangsFirst = () => {
      let calls = 0;
      return async (): Promise<ExecutionResult> =>
        ++calls === 1 ? new Promise<ExecutionResult>(() => undefined) : { kind: 'succeeded', output: calls };
    };

    it('fails the node with WORKER_LOST on its last attempt instead of running it again', async () => {
      // Prepare
      const execute = hangsFirst();
      let executions = 0;
      const harness = await lambdaHarness(makeHarness, () => {
        executions += 1;
        return execute();
      });
      await harness.publish({
        id: 'lost',
        nodes: { a: { type: 'lambda', function: 'f', timeout: '1m' }, b: { type: 'noop', needs: ['a'] } },
      });
      const runId = await harness.start('lost');
      const [message] = await harness.queue.receive({ max: 1 });
      void harness.engine.handleMessage(message?.body ?? ''); // claims a, then the worker dies
      await until(async () => (await harness.view(runId)).nodes.a?.status === 'RUNNING');
      harness.clock.advance(5 * MINUTE);

      // Act
      await harness.drain(); // the redelivery of the dead worker's message
      await harness.engine.sweep();
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(executions).toBe(1);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.a).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'WORKER_LOST' } });
    });

    it('runs the node again while its retry policy has attempts left', async () => {
      // Prepare
      const harness = await lambdaHarness(makeHarness, hangsFirst());
      await harness.publish({
        id: 'lost-once',
        nodes: { a: { type: 'lambda', function: 'f', timeout: '1m', retry: { maxAttempts: 2 } } },
      });
      const runId = await harness.start('lost-once');
      const [message] = await harness.queue.receive({ max: 1 });
      void harness.engine.handleMessage(message?.body ?? '');
      await until(async () => (await harness.view(runId)).nodes.a?.status === 'RUNNING');
      harness.clock.advance(5 * MINUTE);

      // Act
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
    });
  });
}
