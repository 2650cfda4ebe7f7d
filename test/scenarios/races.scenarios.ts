import { describe, expect, it } from 'vitest';
import { BatchReads } from '../../shared/engine/batch-reads.ts';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import type { ExecutionRequest, ExecutionResult } from '../../shared/ports/executor.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { type MakeHarness, MINUTE, refusal, until } from './scenario-kit.ts';

/** Registers a `lambda` executor (not available by default) that runs `behaviour`. */
function lambdaExecutors(behaviour: (request: ExecutionRequest<unknown>) => Promise<ExecutionResult>) {
  return defaultExecutors().override({ type: 'lambda', execute: behaviour });
}

const lambda = (extra: object = {}) => ({ type: 'lambda', function: 'f', ...extra });

/** Races and crashes found in review, each once a bug: they must stay fixed on every store. */
export function raceScenarios(makeHarness: MakeHarness) {
  describe('races between workers, controls and the clock', () => {
    it('starts no node of a run that timed out while two of its messages were handled at once', async () => {
      // Prepare
      const executed: string[] = [];
      const harness = await makeHarness({
        executors: lambdaExecutors(async (request) => {
          executed.push(request.ctx.nodeId);
          return { kind: 'succeeded', output: null };
        }),
      });
      await harness.publish({ id: 'late', timeout: '1m', nodes: { a: lambda(), b: lambda() } });
      const runId = await harness.start('late');
      harness.clock.advance(2 * MINUTE);

      // Act
      await harness.step(); // both roots in one batch, handled concurrently

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('TIMED_OUT');
      expect(executed).toEqual([]);
      expect(run.progress.byStatus).toEqual({ CANCELLED: 2 });
    });

    it('cancels a node whose worker died on a run cancelled meanwhile, and lets the run be retried', async () => {
      // Prepare
      let calls = 0;
      const harness = await makeHarness({
        executors: lambdaExecutors(() =>
          ++calls === 1 ? new Promise(() => undefined) : Promise.resolve({ kind: 'succeeded', output: 1 }),
        ),
      });
      await harness.publish({ id: 'dead', nodes: { a: lambda({ timeout: '1m' }) } });
      const runId = await harness.start('dead');
      const [message] = await harness.queue.receive({ max: 1 });
      void harness.engine.handleMessage(message?.body ?? ''); // claims a, then hangs: a dead worker
      await until(() => calls === 1); // the executor runs only once the claim has landed
      await harness.engine.cancel(TENANT, runId);
      harness.clock.advance(10 * MINUTE);

      // Act
      await harness.drain(); // the redelivery of the dead worker's message
      const retried = await harness.engine.retry(TENANT, runId);
      await harness.drain();

      // Assess
      expect(retried.status).toBe('RUNNING');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', output: 1 });
    });

    it('drops a message sent before a retry, so a child never runs ahead of its rerun parent', async () => {
      // Prepare
      const order: string[] = [];
      let aCalls = 0;
      let bDeliveries = 0;
      const harness = await makeHarness({
        executors: lambdaExecutors(async (request) => {
          if (request.ctx.nodeId === 'b') {
            order.push(`b(${JSON.stringify(request.inputs)})`);
            return { kind: 'succeeded', output: request.inputs };
          }
          aCalls += 1;
          order.push(`a#${aCalls}`);
          return aCalls === 2
            ? { kind: 'failed', error: { code: 'BUSY', message: 'try later', retryable: true } }
            : { kind: 'succeeded', output: { v: aCalls } };
        }),
        intercept: (message) => (message.body.includes('"n":"b"') && ++bDeliveries === 1 ? 'skip' : 'handle'),
      });
      await harness.publish({
        id: 'stale',
        nodes: {
          a: lambda({ retry: { maxAttempts: 3, initialDelay: '5m', jitter: false } }),
          b: lambda({ needs: ['a'], with: { fromA: '{% $nodes.a.output.v %}' } }),
        },
      });
      const runId = await harness.start('stale');
      await harness.step(); // a succeeds and sends b
      await harness.step(); // b's first delivery is lost for now: it comes back in 60 s
      await harness.engine.cancel(TENANT, runId);

      // Act
      await harness.engine.retry(TENANT, runId, ['a']);
      await harness.drain();

      // Assess
      expect(order).toEqual(['a#1', 'a#2', 'a#3', 'b({"fromA":3})']);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED', output: { fromA: 3 } });
    });

    it('lets one of two concurrent retries through; the other changes nothing', async () => {
      // Prepare
      const harness = await makeHarness({
        executors: lambdaExecutors(async (request) =>
          request.ctx.attempt === 1
            ? { kind: 'failed', error: { code: 'BOOM', message: 'first try', retryable: false } }
            : { kind: 'succeeded', output: request.ctx.attempt },
        ),
      });
      await harness.publish({ id: 'twice', nodes: { a: lambda() } });
      const runId = (await harness.run('twice')).runId;

      // Act
      const outcomes = await Promise.allSettled([
        harness.engine.retry(TENANT, runId),
        harness.engine.retry(TENANT, runId),
      ]);
      await harness.drain();

      // Assess
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
    });

    it('starts no child released after a cancel by a parent that was running, though the worker read the run before it', async () => {
      // Prepare: one BatchReads for both messages, as a worker that kept a view of the run would.
      const executed: string[] = [];
      let release: () => void = () => undefined;
      const harness = await makeHarness({
        executors: lambdaExecutors(async (request) => {
          executed.push(request.ctx.nodeId);
          if (request.ctx.nodeId === 'a') await new Promise<void>((resolve) => (release = resolve));
          return { kind: 'succeeded', output: null };
        }),
      });
      await harness.publish({ id: 'late-child', nodes: { a: lambda(), b: lambda({ needs: ['a'] }) } });
      const runId = await harness.start('late-child');
      const reads = new BatchReads();
      const [first] = await harness.queue.receive({ max: 1 });
      const running = harness.engine.handleMessage(first?.body ?? '', { reads });
      await until(() => executed.includes('a')); // a is claimed and running: the run was read RUNNING
      const cancelled = await harness.engine.cancel(TENANT, runId);
      release();
      expect(await running).toEqual({ kind: 'done' }); // a succeeded and sent b's message
      await harness.queue.delete(first?.receipt ?? '');

      // Act
      const [second] = await harness.queue.receive({ max: 1 });
      await harness.engine.handleMessage(second?.body ?? '', { reads });
      await harness.drain();

      // Assess
      expect(cancelled.status).toBe('CANCELLED');
      expect(executed).toEqual(['a']);
      const run = await harness.view(runId);
      expect(run.status).toBe('CANCELLED');
      expect(run.control).toBeUndefined();
      expect(run.nodes.a?.status).toBe('SUCCEEDED');
      expect(run.nodes.b?.status).toBe('CANCELLED');
    });

    it('shares one read of the run among a batch yet starts none of its nodes once the deadline has passed', async () => {
      // Prepare
      const executed: string[] = [];
      const harness = await makeHarness({
        executors: lambdaExecutors(async (request) => {
          executed.push(request.ctx.nodeId);
          return { kind: 'succeeded', output: null };
        }),
      });
      const roots = Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, lambda()]));
      await harness.publish({ id: 'late-batch', timeout: '1m', nodes: roots });
      const runId = await harness.start('late-batch');
      const batch = await harness.queue.receive({ max: 10 });
      const reads = new BatchReads();
      await reads.run(runId, (id) => harness.runs.getRun(id)); // read while the run was on time
      harness.clock.advance(2 * MINUTE);

      // Act
      await Promise.all(batch.map((message) => harness.engine.handleMessage(message.body, { reads })));
      await harness.drain();

      // Assess
      expect(batch).toHaveLength(4);
      expect(executed).toEqual([]);
      const run = await harness.view(runId);
      expect(run.status).toBe('TIMED_OUT');
      expect(run.progress.byStatus).toEqual({ CANCELLED: 4 });
    });

    it('refuses durations over 364 days instead of crashing when the run starts', async () => {
      // Prepare
      const harness = await makeHarness();

      // Act
      const refused = await refusal(
        harness.publish({ id: 'forever', timeout: '999999999d', nodes: { a: { type: 'noop' } } }),
      );

      // Assess
      expect(refused).toMatchObject({ kind: 'unprocessable', path: '$.timeout' });
    });
  });
}
