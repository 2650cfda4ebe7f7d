import { describe, expect, it } from 'vitest';
import { spawnKeyOf } from '../../shared/engine/child-spawn.ts';
import type { NodeChange, NodeCondition } from '../../shared/ports/run-store.ts';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { fail, listRunIds, type MakeHarness, MINUTE, probeHarness, settle } from './scenario-kit.ts';

/** The callee: greets its input through a `noop` (the probe), so a test can make it fail or wait. */
const child = (greeting: string) => ({
  id: 'child-greeting',
  inputs: { name: { type: 'string', required: true } },
  outputs: { greeting: `{% "${greeting} " & $nodes.greet.output.name %}` },
  nodes: { greet: { type: 'noop', with: { name: '{% $inputs.name %}' } } },
});

/** The caller: runs the callee by range and passes its outputs on. */
const PARENT = {
  id: 'parent-calls-child',
  nodes: {
    call: { type: 'workflow', workflow: 'child-greeting', version: '^1.0.0', with: { name: 'Ada' } },
    after: { type: 'noop', needs: ['call'], with: { said: '{% $nodes.call.output.greeting %}' } },
  },
};

async function publishPair(harness: WorkflowHarness, parent: object = PARENT) {
  await harness.publish(child('hello'), '1.0.0');
  await harness.publish(child('hi'), '1.2.0');
  await harness.publish(child('hey'), '2.0.0');
  await harness.publish(parent);
}

/** Starts the parent on a child whose node waits for a callback; returns both runs, settled. */
async function waitingOnCallbackChild(harness: WorkflowHarness) {
  await harness.publish(
    { ...child('hi'), nodes: { greet: { type: 'callback', with: { name: '{% $inputs.name %}' } } } },
    '1.0.0',
  );
  await harness.publish(PARENT);
  const runId = await harness.start('parent-calls-child');
  await settle(harness);
  const [childId = ''] = await childRuns(harness);
  return { runId, childId };
}

/** Starts a run whose `workflow` node waits on a child that waits an hour; returns it settled. */
async function waitingOnSlowChild(harness: WorkflowHarness, node: object = {}) {
  await harness.publish({ id: 'slow-child', nodes: { nap: { type: 'wait', with: { duration: '1h' } } } });
  await harness.publish({
    id: 'caller',
    nodes: { call: { type: 'workflow', workflow: 'slow-child', version: '^1.0.0', ...node } },
  });
  const runId = await harness.start('caller');
  await settle(harness);
  return runId;
}

/** The run ids of the child workflow, oldest first. */
async function childRuns(harness: WorkflowHarness) {
  return (await listRunIds(harness, TENANT, { workflow: 'child-greeting' })).reverse();
}

type UpdateNode = WorkflowHarness['runs']['updateNode'];

/** Makes the store throw once on the first node write `matches` picks: a worker dying there. */
function crashOnce(harness: WorkflowHarness, matches: (when: NodeCondition, change: NodeChange) => boolean) {
  const original: UpdateNode = harness.runs.updateNode.bind(harness.runs);
  let crashed = false;
  harness.runs.updateNode = async (runId, nodeId, when, change, expiresAt) => {
    if (!crashed && matches(when, change)) {
      crashed = true;
      throw new Error('the worker died here');
    }
    return original(runId, nodeId, when, change, expiresAt);
  };
  return () => crashed;
}

/** Drains, swallowing the injected crash (the harness rethrows the engine's errors). */
async function drainThroughCrash(harness: WorkflowHarness) {
  for (let round = 0; round < 5; round += 1) {
    try {
      await harness.drain();
      return;
    } catch (error) {
      if (!(error instanceof Error) || error.message !== 'the worker died here') throw error;
    }
  }
}

/** The `workflow` node: a child run pinned by range, waited for, its end settling the node once. */
export function workflowScenarios(makeHarness: MakeHarness): void {
  describe('workflow nodes (sub-workflows)', () => {
    it('run the child pinned to the highest version in range and take its outputs', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await publishPair(harness);

      // Act
      const runId = await harness.start('parent-calls-child');
      await harness.step(); // the parent's node only: it starts the child and waits
      const waiting = await harness.view(runId);
      await harness.drain();

      // Assess
      const [childId, ...more] = await childRuns(harness);
      expect(more).toEqual([]);
      expect(waiting.nodes.call).toMatchObject({ status: 'WAITING', childRunId: childId });
      const childView = await harness.view(childId ?? '');
      expect(childView).toMatchObject({
        version: '1.2.0',
        status: 'SUCCEEDED',
        inputs: { name: 'Ada' },
        parent: { runId, nodeId: 'call', epoch: 0, attempt: 1, depth: 1 },
      });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.call).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 1,
        childRunId: childId,
        output: { greeting: 'hi Ada' },
      });
      expect(run.nodes.after?.output).toEqual({ said: 'hi Ada' });
    });

    it('fail with CHILD_FAILED carrying the child error, and a retry starts a new child', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('greet', () => fail('GREET_BROKEN'));
      await publishPair(harness, {
        ...PARENT,
        nodes: {
          ...PARENT.nodes,
          call: { ...PARENT.nodes.call, retry: { maxAttempts: 2, backoff: 'fixed', initialDelay: '1s' } },
        },
      });

      // Act
      const run = await harness.run('parent-calls-child');

      // Assess
      const children = await childRuns(harness);
      expect(children).toHaveLength(2);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.call).toMatchObject({ status: 'FAILED', attempts: 2, childRunId: children[1] });
      expect(run.nodes.call?.error?.code).toBe('CHILD_FAILED');
      expect(run.nodes.call?.error?.message).toContain('GREET_BROKEN');
      expect((await harness.view(children[0] ?? '')).parent?.attempt).toBe(1);
      expect((await harness.view(children[1] ?? '')).parent?.attempt).toBe(2);
    });

    it('fail for good when the child refuses its inputs', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await publishPair(harness, {
        ...PARENT,
        nodes: { call: { ...PARENT.nodes.call, with: { name: 7 }, retry: { maxAttempts: 3 } } },
      });

      // Act
      const run = await harness.run('parent-calls-child');

      // Assess
      expect(await childRuns(harness)).toEqual([]);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.call).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'INVALID_INPUTS' },
      });
    });

    it('fail with CHILD_KEY_TAKEN when a run that is not its child holds the start key', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await publishPair(harness);
      const runId = await harness.start('parent-calls-child');
      // Before the node starts its child, another run takes the key that start would use.
      const squatter = await harness.start(
        'child-greeting',
        { name: 'Eve' },
        {
          idempotencyKey: spawnKeyOf(runId, 'call', 0, 1),
        },
      );

      // Act
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.call?.error?.code).toBe('CHILD_KEY_TAKEN');
      expect(run.nodes.call?.error?.message).toContain(squatter);
      expect(await childRuns(harness)).toEqual([squatter]);
    });

    it('start one child when the node message is delivered twice', async () => {
      // Prepare
      let duplicated = false;
      const { harness } = await probeHarness(makeHarness, {
        intercept: (message) => {
          if (duplicated || !message.body.includes('"n":"call"')) return 'handle';
          duplicated = true;
          return 'duplicate';
        },
      });
      await publishPair(harness);

      // Act
      const run = await harness.run('parent-calls-child');

      // Assess
      expect(duplicated).toBe(true);
      expect(await childRuns(harness)).toHaveLength(1);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.call?.output).toEqual({ greeting: 'hi Ada' });
    });

    it('find the same child after a crash between its start and the wait', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await publishPair(harness);
      const crashed = crashOnce(harness, (_when, change) => change.set?.childRunId !== undefined);

      // Act
      const runId = await harness.start('parent-calls-child');
      await drainThroughCrash(harness);

      // Assess
      expect(crashed()).toBe(true);
      expect(await childRuns(harness)).toHaveLength(1);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.call?.output).toEqual({ greeting: 'hi Ada' });
    });

    it('are completed by the sweeper when the child end notification was lost', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await publishPair(harness);
      const crashed = crashOnce(
        harness,
        (when, change) => change.set?.completion !== undefined && when.status.includes('WAITING'),
      );
      const runId = await harness.start('parent-calls-child');
      await drainThroughCrash(harness);
      const stuck = await harness.view(runId);

      // Act
      harness.clock.advance(10 * MINUTE);
      const report = await harness.engine.sweep();
      await harness.drain();

      // Assess
      expect(crashed()).toBe(true);
      expect(stuck.nodes.call?.status).toBe('WAITING');
      expect(report.requeued).toBeGreaterThanOrEqual(1);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.call).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 1,
        output: { greeting: 'hi Ada' },
      });
    });

    it('cancel, pause and resume their child with the parent run', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, childId } = await waitingOnCallbackChild(harness);

      // Act
      await harness.engine.pause(TENANT, runId);
      const paused = await harness.view(childId);
      await harness.engine.resume(TENANT, runId);
      const resumed = await harness.view(childId);
      await harness.engine.cancel(TENANT, runId);
      await harness.drain();

      // Assess
      expect(paused.status).toBe('PAUSED');
      expect(resumed.status).toBe('RUNNING');
      const childView = await harness.view(childId);
      expect(childView.status).toBe('CANCELLED');
      expect(childView.nodes.greet?.status).toBe('CANCELLED');
      const run = await harness.view(runId);
      expect(run.status).toBe('CANCELLED');
      expect(run.nodes.call?.status).toBe('CANCELLED');
    });

    it('fail with CHILD_CANCELLED when the child alone is cancelled', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, childId } = await waitingOnCallbackChild(harness);

      // Act
      await harness.engine.cancel(TENANT, childId);
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.call?.error?.code).toBe('CHILD_CANCELLED');
    });

    it('nest up to 10 deep, and fail the eleventh level with WORKFLOW_DEPTH_EXCEEDED', async () => {
      // Prepare: level-<n> calls level-<n+1>; the last one only greets. Callees are published first.
      const { harness } = await probeHarness(makeHarness);
      const publishChain = async (levels: number, prefix: string) => {
        await harness.publish({ id: `${prefix}-${levels}`, nodes: { leaf: { type: 'noop' } } });
        for (let level = levels - 1; level >= 0; level -= 1) {
          await harness.publish({
            id: `${prefix}-${level}`,
            nodes: { down: { type: 'workflow', workflow: `${prefix}-${level + 1}`, version: '^1.0.0' } },
          });
        }
      };
      await publishChain(10, 'ten');
      await publishChain(11, 'eleven');

      // Act
      const ten = await harness.run('ten-0');
      const eleven = await harness.run('eleven-0');

      // Assess
      expect(ten.status).toBe('SUCCEEDED');
      expect(eleven.status).toBe('FAILED');
      expect(eleven.nodes.down?.error?.code).toBe('CHILD_FAILED');
      const deepest = (await listRunIds(harness, TENANT, { workflow: 'eleven-10' }))[0] ?? '';
      const view = await harness.view(deepest);
      expect(view.parent?.depth).toBe(10);
      expect(view.nodes.down).toMatchObject({ status: 'FAILED', error: { code: 'WORKFLOW_DEPTH_EXCEEDED' } });
    });

    it('start a new child when the failed parent run is retried, and succeed with it', async () => {
      // Prepare: the child fails once, then greets
      const { harness, probe } = await probeHarness(makeHarness);
      let calls = 0;
      probe.on('greet', (request) => {
        calls += 1;
        return calls === 1 ? fail('GREET_BROKEN') : { kind: 'succeeded', output: request.inputs ?? null };
      });
      await publishPair(harness);
      const failed = await harness.run('parent-calls-child');

      // Act
      await harness.engine.retry(TENANT, failed.runId);
      await harness.drain();

      // Assess
      const children = await childRuns(harness);
      const run = await harness.view(failed.runId);
      expect(failed.status).toBe('FAILED');
      expect(children).toHaveLength(2);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.call).toMatchObject({
        status: 'SUCCEEDED',
        childRunId: children[1],
        output: { greeting: 'hi Ada' },
      });
      expect((await harness.view(children[1] ?? '')).parent).toMatchObject({ runId: failed.runId, epoch: 1 });
    });

    it('cancel the child when the node’s own timeout passes first', async () => {
      // Prepare: the child waits an hour; the parent waits at most a minute
      const { harness } = await probeHarness(makeHarness);
      const runId = await waitingOnSlowChild(harness, { timeout: '1m' });

      // Act
      harness.clock.advance(2 * MINUTE);
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.call).toMatchObject({ status: 'FAILED', error: { code: 'WORKFLOW_TIMEOUT' } });
      const child = await harness.view(run.nodes.call?.childRunId ?? '');
      expect(child.status).toBe('CANCELLED');
      expect(child.nodes.nap?.status).toBe('CANCELLED');
    });

    it('are cancelled by the sweeper when their parent stopped waiting and a crash lost their cancel', async () => {
      // Prepare: the parent's node is cancelled without the child's stop (the crash in between)
      const { harness } = await probeHarness(makeHarness);
      const runId = await waitingOnSlowChild(harness);
      const waiting = await harness.view(runId);
      const childId = waiting.nodes.call?.childRunId ?? '';
      const run = await harness.runs.getRun(runId);
      await harness.runs.updateNode(
        runId,
        'call',
        { status: ['WAITING'], epoch: run?.epoch ?? 0 },
        { set: { status: 'CANCELLED', endedAt: new Date(harness.clock.now()).toISOString() } },
        run?.expiresAt ?? 0,
      );

      // Act
      harness.clock.advance(10 * MINUTE);
      const report = await harness.engine.sweep();
      await settle(harness);

      // Assess
      expect(waiting.nodes.call?.status).toBe('WAITING');
      expect(report.controls).toBeGreaterThanOrEqual(1);
      expect((await harness.view(childId)).status).toBe('CANCELLED');
    });

    it('are left alone by the sweeper while their parent waits for them', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const runId = await waitingOnSlowChild(harness);

      // Act
      harness.clock.advance(10 * MINUTE);
      await harness.engine.sweep();
      await settle(harness);

      // Assess
      const run = await harness.view(runId);
      expect(run.nodes.call?.status).toBe('WAITING');
      expect((await harness.view(run.nodes.call?.childRunId ?? '')).status).toBe('RUNNING');
    });
  });
}
