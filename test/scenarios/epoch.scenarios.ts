import { describe, expect, it } from 'vitest';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import type { ExecutionRequest, ExecutionResult } from '../../shared/ports/executor.ts';
import type { NodeChange, NodeCondition, RunStore } from '../../shared/ports/run-store.ts';
import { type HarnessOptions, TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { hookNodeWrites } from './node-writes.ts';
import { type MakeHarness, MINUTE, refusal, until } from './scenario-kit.ts';

/** Past the default `lostMessageMs` (10 minutes). */
export const LOST = 11 * MINUTE;

type Behaviour = (request: ExecutionRequest<unknown>) => Promise<ExecutionResult> | ExecutionResult;

/** A `lambda` executor (not available by default) whose behaviour the test sets per node. */
export function lambdaHarness(
  makeHarness: MakeHarness,
  behaviours: Record<string, Behaviour> = {},
  settings: HarnessOptions['settings'] = {},
) {
  const order: string[] = [];
  const executors = defaultExecutors().override({
    type: 'lambda',
    execute: async (request) => {
      order.push(`${request.ctx.nodeId}#${request.ctx.attempt}`);
      const behaviour = behaviours[request.ctx.nodeId];
      return behaviour ? behaviour(request) : { kind: 'succeeded', output: request.inputs ?? null };
    },
  });
  return { order, harness: makeHarness({ executors, settings }) };
}

export const lambda = (extra: object = {}) => ({ type: 'lambda', function: 'f', ...extra });

/**
 * Holds the first node write that `matches` until `release()`: the write of a slow worker that
 * decided it before something else happened. `reached` resolves once the write is held.
 */
function holdNodeWrite(
  harness: WorkflowHarness,
  matches: (nodeId: string, when: NodeCondition, change: NodeChange) => boolean,
) {
  let release: () => void = () => undefined;
  let reached = false;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  // Whichever method makes the write: the claim is a `tryUpdateNode`, a cancel an `updateNode`.
  hookNodeWrites(harness.runs, {
    before: async ({ nodeId, when, change }) => {
      if (!reached && matches(nodeId, when, change)) {
        reached = true;
        await gate;
      }
    },
  });
  return { release: () => release(), reached: () => reached };
}

/**
 * Delivers `nodeId`'s message with its first write setting `status` held back: a slow worker
 * that decided the write before something else happens. `finish()` lets the write land, waits for
 * the delivery and deletes its message.
 */
async function slowDelivery(harness: WorkflowHarness, nodeId: string, status: 'CANCELLED' | 'RUNNING') {
  const held = holdNodeWrite(harness, (id, _when, change) => id === nodeId && change.set?.status === status);
  const message = await takeMessage(harness, nodeId);
  const done = harness.engine.handleMessage(message.body);
  await until(() => held.reached());
  return {
    finish: async () => {
      held.release();
      await done;
      await harness.queue.delete(message.receipt);
    },
  };
}

/** The message of `nodeId` among the visible ones (the others are handed back at once). */
export async function takeMessage(harness: WorkflowHarness, nodeId: string) {
  const batch = await harness.queue.receive({ max: 10 });
  const message = batch.find((candidate) => candidate.body.includes(`"n":"${nodeId}"`));
  for (const other of batch) if (other !== message) await harness.queue.changeVisibility(other.receipt, 0);
  if (!message) throw new Error(`no message for ${nodeId}`);
  return message;
}

/**
 * A run of `definition` cancelled while its root `a` runs (slowly); `a` then succeeds after the
 * cancel. Returns the harness, the run, the execution order and the cancel's answer.
 */
async function cancelledWhileARuns(
  makeHarness: MakeHarness,
  definition: { id: string; nodes: object; outputs?: object },
) {
  let release: () => void = () => undefined;
  const slowA = new Promise<ExecutionResult>((resolve) => {
    release = () => resolve({ kind: 'succeeded', output: 'a' });
  });
  const { harness: made, order } = lambdaHarness(makeHarness, { a: () => slowA });
  const harness = await made;
  await harness.publish(definition);
  const runId = await harness.start(definition.id);
  const aMessage = await takeMessage(harness, 'a');
  const aDone = harness.engine.handleMessage(aMessage.body); // a runs...
  await until(async () => (await harness.view(runId)).nodes.a?.status === 'RUNNING');
  const cancelled = await harness.engine.cancel(TENANT, runId); // ...while the run is cancelled
  release();
  await aDone; // a succeeds after the cancel and releases its children
  await harness.queue.delete(aMessage.receipt);
  return { harness, runId, order, cancelled };
}

/** Controls at the epoch boundary: stale writes, crashed controls, lost messages (issue 14). */
export function epochScenarios(makeHarness: MakeHarness) {
  describe('node writes fenced by the run epoch', () => {
    it('drops a slow worker’s cancel that lands after a retry reset the node', async () => {
      // Prepare
      const { harness, runId } = await cancelledWhileARuns(makeHarness, {
        id: 'ab',
        nodes: { a: lambda(), b: lambda({ needs: ['a'] }) },
      });
      const slow = await slowDelivery(harness, 'b', 'CANCELLED');

      // Act
      await harness.engine.retry(TENANT, runId);
      await slow.finish();
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED' });
    });

    it('drops a slow worker’s claim that lands after a retry reset the node, so a child never runs before its rerun parent', async () => {
      // Prepare
      let aRuns = 0;
      const { harness: made, order } = lambdaHarness(makeHarness, {
        a: () => ({ kind: 'succeeded', output: { v: ++aRuns } }),
      });
      const harness = await made;
      await harness.publish({
        id: 'stale-claim',
        nodes: { a: lambda(), b: lambda({ needs: ['a'], with: { fromA: '{% $nodes.a.output.v %}' } }) },
      });
      const runId = await harness.start('stale-claim');
      await harness.step(); // a succeeds and sends b
      const slow = await slowDelivery(harness, 'b', 'RUNNING');
      await harness.engine.cancel(TENANT, runId);

      // Act
      await harness.engine.retry(TENANT, runId, ['a']);
      await slow.finish();
      await harness.drain();

      // Assess
      expect(order).toEqual(['a#1', 'a#2', 'b#1']);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.b).toMatchObject({ status: 'SUCCEEDED', output: { fromA: 2 } });
    });

    it('starts no node after the cancel returned, even from a worker that read the run before it', async () => {
      // Prepare
      const { harness: made, order } = lambdaHarness(makeHarness);
      const harness = await made;
      await harness.publish({ id: 'two-roots', nodes: { a: lambda(), b: lambda() } });
      const runId = await harness.start('two-roots');
      const slow = await slowDelivery(harness, 'b', 'RUNNING');

      // Act
      await harness.engine.cancel(TENANT, runId);
      await slow.finish();
      await harness.drain();

      // Assess
      expect(order).toEqual([]);
      const run = await harness.view(runId);
      expect(run.status).toBe('CANCELLED');
      expect(run.progress.byStatus).toEqual({ CANCELLED: 2 });
    });

    it('marks a node that left RUNNING during the stop (parked to retry) before the stop closes', async () => {
      // Prepare: a fails once (to RETRY_WAIT) only after the cancel has listed it RUNNING
      let failA: () => void = () => undefined;
      const aFails = new Promise<ExecutionResult>((resolve) => {
        failA = () =>
          resolve({ kind: 'failed', error: { code: 'TRANSIENT', message: 'again', retryable: true } });
      });
      const { harness: made } = lambdaHarness(makeHarness, { a: () => aFails });
      const harness = await made;
      const retry = { maxAttempts: 3, backoff: 'fixed', initialDelay: '1s', jitter: false };
      await harness.publish({ id: 'parks', nodes: { a: lambda({ retry }), b: lambda() } });
      const runId = await harness.start('parks');
      const aMessage = await takeMessage(harness, 'a');
      const aDone = harness.engine.handleMessage(aMessage.body);
      await until(async () => (await harness.runs.getNode(runId, 'a'))?.status === 'RUNNING');
      const runs: RunStore = harness.runs;
      const listNodes = runs.listNodes.bind(runs);
      let listings = 0;
      runs.listNodes = async (id, options) => {
        const listed = await listNodes(id, options);
        listings += 1;
        if (listings === 1) {
          // The stop has listed a RUNNING; now its worker parks it to retry.
          failA();
          await aDone;
        }
        return listed;
      };

      // Act
      const cancelled = await harness.engine.cancel(TENANT, runId);
      runs.listNodes = listNodes;

      // Assess: the stop closed only once a was marked too: nothing of epoch 0 is claimable
      expect(cancelled.status).toBe('CANCELLED');
      expect((await harness.runs.getRun(runId))?.control).toBeUndefined();
      expect(await harness.runs.getNode(runId, 'a')).toMatchObject({ status: 'CANCELLED' });
      expect((await harness.view(runId)).progress.byStatus).toEqual({ CANCELLED: 2 });
    });

    it('retries a run whose node was abandoned RUNNING by a dead worker as soon as its lease ends', async () => {
      // Prepare
      let calls = 0;
      const { harness: made } = lambdaHarness(makeHarness, {
        a: () =>
          ++calls === 1
            ? new Promise<ExecutionResult>(() => undefined)
            : { kind: 'succeeded', output: calls },
      });
      const harness = await made;
      await harness.publish({ id: 'abandoned', nodes: { a: lambda({ timeout: '1m' }) } });
      const runId = await harness.start('abandoned');
      const message = await takeMessage(harness, 'a');
      void harness.engine.handleMessage(message.body); // claims a, then its worker dies
      await until(async () => (await harness.view(runId)).nodes.a?.status === 'RUNNING');
      await harness.engine.cancel(TENANT, runId);
      const early = await refusal(harness.engine.retry(TENANT, runId)); // the lease still holds
      harness.clock.advance(2 * MINUTE);

      // Act
      const retried = await harness.engine.retry(TENANT, runId);
      await harness.queue.delete(message.receipt);
      await harness.drain();

      // Assess
      expect(early).toMatchObject({ kind: 'conflict', code: 'RUN_STATE' });
      expect(retried.status).toBe('RUNNING');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', output: 2 });
    });
  });

  describe('retry agrees with the run view', () => {
    it('retries a cancelled chain whose child the view shows CANCELLED although it never got an item', async () => {
      // Prepare
      const { harness, runId, order } = await cancelledWhileARuns(makeHarness, {
        id: 'ab',
        nodes: { a: lambda(), b: lambda({ needs: ['a'] }) },
      });
      const lost = await harness.queue.receive({ max: 10 }); // b's message is lost
      for (const message of lost) await harness.queue.delete(message.receipt);
      const before = await harness.view(runId);

      // Act
      const retried = await harness.engine.retry(TENANT, runId);
      await harness.drain();

      // Assess
      expect(before.nodes.b).toMatchObject({ status: 'CANCELLED' });
      expect(retried.status).toBe('RUNNING');
      expect(order).toEqual(['a#1', 'b#1']);
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });
  });

  describe('a retry naming nodes of a cancelled run', () => {
    it('also reruns the nodes that were cancelled, so the run cannot succeed without them', async () => {
      // Prepare
      const { harness: made, order } = lambdaHarness(makeHarness);
      const harness = await made;
      await harness.publish({
        id: 'named',
        nodes: { a: lambda(), b: lambda(), c: lambda({ needs: ['b'] }) },
      });
      const runId = await harness.start('named');
      await harness.engine.cancel(TENANT, runId); // a and b are marked CANCELLED before they run
      await harness.drain();

      // Act
      await harness.engine.retry(TENANT, runId, ['a']);
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.progress.byStatus).toEqual({ SUCCEEDED: 3 });
      expect([...order].sort()).toEqual(['a#1', 'b#1', 'c#1']);
    });
  });

  describe('a run cancelled while its last node finished', () => {
    it('is ended SUCCEEDED by a retry, with nothing rerun', async () => {
      // Prepare
      const { harness, runId, order, cancelled } = await cancelledWhileARuns(makeHarness, {
        id: 'late-cancel',
        outputs: { a: '{% $nodes.a.output %}' },
        nodes: { a: lambda() },
      });

      // Act
      const retried = await harness.engine.retry(TENANT, runId);
      await harness.drain();

      // Assess
      expect(cancelled).toMatchObject({ status: 'CANCELLED', control: { action: 'cancel' } });
      expect(retried.status).toBe('SUCCEEDED');
      expect(order).toEqual(['a#1']);
      const run = await harness.view(runId);
      expect(run).toMatchObject({ status: 'SUCCEEDED', outputs: { a: 'a' } });
      expect(run.control).toBeUndefined();
    });
  });
}
