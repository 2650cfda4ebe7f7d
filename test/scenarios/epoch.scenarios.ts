import { describe, expect, it } from 'vitest';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import type { ExecutionRequest, ExecutionResult } from '../../shared/ports/executor.ts';
import type { NodeChange, NodeCondition, RunStore } from '../../shared/ports/run-store.ts';
import { type HarnessOptions, TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { type MakeHarness, MINUTE, refusal, until } from './scenario-kit.ts';

/** Past the default `lostMessageMs` (10 minutes). */
const LOST = 11 * MINUTE;

type Behaviour = (request: ExecutionRequest<unknown>) => Promise<ExecutionResult> | ExecutionResult;

/** A `lambda` executor (not available by default) whose behaviour the test sets per node. */
function lambdaHarness(
  makeHarness: MakeHarness,
  behaviours: Record<string, Behaviour> = {},
  settings: HarnessOptions['settings'] = {},
) {
  const order: string[] = [];
  const executors = defaultExecutors().register({
    type: 'lambda',
    execute: async (request) => {
      order.push(`${request.ctx.nodeId}#${request.ctx.attempt}`);
      const behaviour = behaviours[request.ctx.nodeId];
      return behaviour ? behaviour(request) : { ok: true, output: request.inputs ?? null };
    },
  });
  return { order, harness: makeHarness({ executors, settings }) };
}

const lambda = (extra: object = {}) => ({ type: 'lambda', function: 'f', ...extra });

/**
 * Holds the first node write that `matches` until `release()`: the write of a slow worker that
 * decided it before something else happened. `reached` resolves once the write is held.
 */
function holdNodeWrite(
  harness: WorkflowHarness,
  matches: (nodeId: string, when: NodeCondition, change: NodeChange) => boolean,
) {
  const runs: RunStore = harness.runs;
  const original = runs.updateNode.bind(runs);
  let release: () => void = () => undefined;
  let reached = false;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  runs.updateNode = async (runId, nodeId, when, change, expiresAt) => {
    if (!reached && matches(nodeId, when, change)) {
      reached = true;
      await gate;
    }
    return original(runId, nodeId, when, change, expiresAt);
  };
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
async function takeMessage(harness: WorkflowHarness, nodeId: string) {
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
    release = () => resolve({ ok: true, output: 'a' });
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
        a: () => ({ ok: true, output: { v: ++aRuns } }),
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

    it('retries a run whose node was abandoned RUNNING by a dead worker as soon as its lease ends', async () => {
      // Prepare
      let calls = 0;
      const { harness: made } = lambdaHarness(makeHarness, {
        a: () =>
          ++calls === 1 ? new Promise<ExecutionResult>(() => undefined) : { ok: true, output: calls },
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
      expect(early).toMatchObject({ status: 409, code: 'RUN_STATE' });
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
            ? { ok: false, error: { code: 'E', message: 'e failed', retryable: false } }
            : { ok: true, output: 'e' },
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
      const executors = defaultExecutors().register({
        type: 'lambda',
        execute: async (request) =>
          request.ctx.nodeId === 'root' && request.ctx.attempt === 1
            ? { ok: false, error: { code: 'X', message: 'root failed', retryable: false } }
            : { ok: true, output: request.ctx.nodeId },
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
      harness.runs.updateNode = (
        (original) =>
        async (...args: Parameters<RunStore['updateNode']>) => {
          const result = await original(...args);
          if (result && args[3].set?.status === 'RUNNING') executed.push(args[1]);
          return result;
        }
      )(harness.runs.updateNode.bind(harness.runs));
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
