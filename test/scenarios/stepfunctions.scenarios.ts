import { describe, expect, it } from 'vitest';
import { MemoryStateMachines } from '../../shared/adapters/memory/state-machines.ts';
import { flowExecutors } from '../../shared/executors/flow.ts';
import { StepFunctionsExecutor } from '../../shared/executors/stepfunctions.ts';
import { handleExecutionEnd } from '../../shared/handlers/state-machine-events.ts';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { HOUR, type MakeHarness, MINUTE, ProbeExecutor, settle } from './scenario-kit.ts';

const ORDERS = 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders';

/** Charges through a state machine, then ships with what it returned. */
const CHARGE = {
  id: 'charge',
  inputs: { amount: { type: 'number', default: 7 } },
  nodes: {
    pay: { type: 'stepfunctions', stateMachineArn: ORDERS, with: { amount: '{% $inputs.amount %}' } },
    ship: { type: 'noop', needs: ['pay'], with: { receipt: '{% $nodes.pay.output.receipt %}' } },
  },
};

/**
 * A harness whose `stepfunctions` nodes run on an in-memory Step Functions, each execution's end
 * delivered to the engine through the status-change handler (what EventBridge does on AWS). The
 * outcomes of the deliveries are kept.
 */
async function sfnHarness(makeHarness: MakeHarness) {
  const machines = new MemoryStateMachines({ allow: [ORDERS] });
  const executors = flowExecutors()
    .register(new ProbeExecutor())
    .register(new StepFunctionsExecutor({ machines }));
  const harness = await makeHarness({ executors });
  const outcomes: string[] = [];
  machines.onEnd(async (state) => {
    outcomes.push((await handleExecutionEnd({ engine: harness.engine, machines }, state)).kind);
  });
  return { harness, machines, outcomes };
}

/** Publishes `definition`, starts it and handles messages until its node waits. */
async function waitingRun(harness: WorkflowHarness, definition: object = CHARGE) {
  await harness.publish(definition);
  const runId = await harness.start((definition as { id: string }).id);
  await settle(harness);
  return runId;
}

const running = (machines: MemoryStateMachines) =>
  machines.executions().filter((execution) => execution.status === 'RUNNING');

/** The `stepfunctions` node: one execution per attempt, completed by its status-change event. */
export function stepFunctionsScenarios(makeHarness: MakeHarness): void {
  describe('stepfunctions nodes', () => {
    it('start an execution with the evaluated input, wait holding no message, and succeed with its output', async () => {
      // Prepare
      const { harness, machines, outcomes } = await sfnHarness(makeHarness);
      const runId = await waitingRun(harness);
      const waiting = await harness.view(runId);
      const [execution] = machines.executions();
      if (execution === undefined) throw new Error('no execution started');

      // Act
      await machines.end(execution.executionArn, { status: 'SUCCEEDED', output: { receipt: 'r-1' } });
      await settle(harness);

      // Assess
      expect(machines.starts).toEqual([
        { stateMachineArn: ORDERS, name: execution.name, input: { amount: 7 } },
      ]);
      expect(execution.name).toMatch(new RegExp(`^sk-${runId}-e0-a1-[0-9a-f]{10}$`));
      expect(waiting.nodes.pay).toMatchObject({
        status: 'WAITING',
        attempts: 1,
        awaiting: execution.executionArn,
      });
      expect(waiting.nodes.pay?.token).toBeUndefined();
      expect(await harness.queue.nextVisibleAt()).toBeUndefined();
      expect(outcomes).toEqual(['completed']);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.pay).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { receipt: 'r-1' } });
      expect(run.nodes.ship?.output).toEqual({ receipt: 'r-1' });
    });

    it('changes nothing on a duplicate event or on an event no node waits for', async () => {
      // Prepare
      const { harness, machines, outcomes } = await sfnHarness(makeHarness);
      const runId = await waitingRun(harness);
      const [execution] = machines.executions();
      if (execution === undefined) throw new Error('no execution started');
      const forged = { ...execution, status: 'SUCCEEDED' as const, output: '{"receipt":"forged"}' };

      // Act
      await machines.deliver({ ...forged, executionArn: `${execution.executionArn}-other` }); // while it waits
      await machines.deliver({ ...forged, name: 'someone-elses-execution' });
      await machines.deliver({ ...forged, status: 'RUNNING' });
      await settle(harness);
      const stillWaiting = await harness.runs.getNode(runId, 'pay');
      const ended = await machines.end(execution.executionArn, {
        status: 'SUCCEEDED',
        output: { receipt: 'r-1' },
      });
      await machines.deliver(ended); // before the node's claim settles it
      await settle(harness);
      await machines.deliver(forged); // after it ended
      await settle(harness);

      // Assess
      expect(outcomes).toEqual(['ignored', 'ignored', 'ignored', 'completed', 'ignored', 'ignored']);
      expect(stillWaiting).toMatchObject({ status: 'WAITING', attempt: 1 });
      expect(stillWaiting?.completion).toBeUndefined();
      const run = await harness.view(runId);
      expect(run.nodes.pay).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { receipt: 'r-1' } });
      expect(harness.events.filter((e) => e.type === 'node.succeeded' && e.nodeId === 'pay')).toHaveLength(1);
    });

    it('completes a node whose execution ended before the node waited, by reading it once after the wait', async () => {
      // Prepare: the execution ends inside StartExecution; its event finds the node still RUNNING.
      const { harness, machines, outcomes } = await sfnHarness(makeHarness);
      machines.onStart((state) =>
        machines.end(state.executionArn, { status: 'SUCCEEDED', output: { receipt: 'fast' } }),
      );

      // Act
      const runId = await waitingRun(harness);

      // Assess
      expect(outcomes).toEqual(['ignored']);
      expect(machines.describes).toEqual([machines.executions()[0]?.executionArn]);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.pay).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { receipt: 'fast' } });
    });

    it('finds the same execution when the worker died between starting it and writing the wait', async () => {
      // Prepare
      const { harness, machines } = await sfnHarness(makeHarness);
      const original = harness.runs.updateNode.bind(harness.runs);
      let crashed = false;
      harness.runs.updateNode = async (runId, nodeId, when, change, expiresAt) => {
        if (!crashed && change.set?.awaitRef !== undefined) {
          crashed = true;
          throw new Error('the worker died here');
        }
        return original(runId, nodeId, when, change, expiresAt);
      };
      await harness.publish({
        ...CHARGE,
        nodes: { ...CHARGE.nodes, pay: { ...CHARGE.nodes.pay, timeout: '1d' } },
      });
      const startedAt = harness.clock.now();

      // Act: a minute at a time (draining would run on to the day's deadline)
      const runId = await harness.start('charge');
      for (let minute = 0; minute < 30; minute += 1) {
        try {
          await settle(harness);
        } catch (error) {
          if (!(error instanceof Error) || error.message !== 'the worker died here') throw error;
        }
        if ((await harness.runs.getNode(runId, 'pay'))?.status === 'WAITING') break;
        harness.clock.advance(MINUTE);
      }
      const takenOverAfter = harness.clock.now() - startedAt;
      const waiting = await harness.view(runId);
      const [execution] = machines.executions();
      await machines.end(execution?.executionArn ?? '', { status: 'SUCCEEDED', output: { receipt: 'once' } });
      await settle(harness);

      // Assess
      expect(crashed).toBe(true);
      expect(machines.starts.map((start) => start.name)).toEqual([execution?.name, execution?.name]);
      expect(machines.executions()).toHaveLength(1);
      expect(waiting.nodes.pay).toMatchObject({
        status: 'WAITING',
        attempts: 2,
        awaiting: execution?.executionArn,
      });
      // The starting claim's lease is minutes (the engine's default), not the day the node may wait.
      expect(takenOverAfter).toBeLessThan(10 * MINUTE);
      const run = await harness.view(runId);
      expect(run.nodes.pay).toMatchObject({ status: 'SUCCEEDED', output: { receipt: 'once' } });
    });

    it('retries a start whose answer was lost under the same name, finding the execution it made', async () => {
      // Prepare
      const { harness, machines } = await sfnHarness(makeHarness);
      let lost = false;
      machines.onStart(() => {
        if (lost) return;
        lost = true;
        throw new Error('socket hang up'); // the execution exists; its answer never came back
      });
      const definition = { ...CHARGE, nodes: { pay: { ...CHARGE.nodes.pay, retry: { maxAttempts: 2 } } } };
      const runId = await waitingRun(harness, definition);

      // Act
      harness.clock.advance(MINUTE); // past the retry's backoff
      await settle(harness);
      const [execution] = machines.executions();
      await machines.end(execution?.executionArn ?? '', { status: 'SUCCEEDED', output: { receipt: 'r' } });
      await settle(harness);

      // Assess
      expect(machines.starts.map((start) => start.name)).toEqual([execution?.name, execution?.name]);
      expect(machines.executions()).toHaveLength(1);
      const run = await harness.view(runId);
      expect(run.nodes.pay).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: { receipt: 'r' } });
    });

    it('fails with SFN_FAILED carrying the error and cause, and retries it as a new execution', async () => {
      // Prepare
      const { harness, machines } = await sfnHarness(makeHarness);
      const definition = {
        ...CHARGE,
        nodes: {
          ...CHARGE.nodes,
          pay: { ...CHARGE.nodes.pay, retry: { maxAttempts: 2, initialDelay: '1s' } },
        },
      };
      const runId = await waitingRun(harness, definition);
      const [first] = running(machines);
      if (first === undefined) throw new Error('no execution started');

      // Act
      await machines.end(first.executionArn, {
        status: 'FAILED',
        error: 'Card.Declined',
        cause: 'insufficient funds',
      });
      await settle(harness);
      harness.clock.advance(2_000);
      await settle(harness);
      const [second] = running(machines);
      if (second === undefined) throw new Error('no second execution');
      const retrying = await harness.view(runId);
      await machines.end(second.executionArn, { status: 'FAILED', error: 'Card.Declined', cause: 'again' });
      await settle(harness);

      // Assess
      expect(second.name).not.toBe(first.name);
      expect(second.name).toMatch(/-e0-a2-/);
      expect(retrying.nodes.pay).toMatchObject({ status: 'WAITING', attempts: 2 });
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.pay?.attempts).toBe(2);
      expect(run.nodes.pay?.error).toEqual({
        code: 'SFN_FAILED',
        message: `execution ${second.executionArn} ended FAILED: Card.Declined: again`,
      });
    });

    it('fails an aborted execution with SFN_ABORTED without retrying it', async () => {
      // Prepare
      const { harness, machines } = await sfnHarness(makeHarness);
      const definition = { ...CHARGE, nodes: { pay: { ...CHARGE.nodes.pay, retry: { maxAttempts: 3 } } } };
      const runId = await waitingRun(harness, definition);
      const [execution] = running(machines);

      // Act
      await machines.stop(execution?.executionArn ?? '', 'an operator stopped it');
      await settle(harness);

      // Assess
      const run = await harness.view(runId);
      expect(run.nodes.pay).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'SFN_ABORTED' } });
      expect(machines.executions()).toHaveLength(1);
    });

    it('times out at its own timeout, stops the execution and ignores the stop’s event', async () => {
      // Prepare
      const { harness, machines, outcomes } = await sfnHarness(makeHarness);
      const definition = { ...CHARGE, nodes: { pay: { ...CHARGE.nodes.pay, timeout: '1h' } } };
      const runId = await waitingRun(harness, definition);

      // Act
      harness.clock.advance(HOUR);
      await settle(harness);

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.pay).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'STEPFUNCTIONS_TIMEOUT' },
      });
      expect(machines.executions().map((execution) => execution.status)).toEqual(['ABORTED']);
      expect(outcomes).toEqual(['ignored']);
    });

    it('stop the execution when the run is cancelled, and ignore the stop’s event', async () => {
      // Prepare
      const { harness, machines, outcomes } = await sfnHarness(makeHarness);
      const runId = await waitingRun(harness);

      // Act
      await harness.engine.cancel(TENANT, runId);
      await settle(harness);

      // Assess
      expect(machines.executions()).toMatchObject([
        { status: 'ABORTED', cause: `Skein: run ${runId} was stopped` },
      ]);
      expect(outcomes).toEqual(['ignored']);
      const run = await harness.view(runId);
      expect(run.status).toBe('CANCELLED');
      expect(run.nodes.pay?.status).toBe('CANCELLED');
    });

    it('ignores the end of an execution a run retry replaced (one the cancel could not stop)', async () => {
      // Prepare
      const { harness, machines, outcomes } = await sfnHarness(makeHarness);
      machines.stop = async () => {
        throw new Error('AccessDenied: states:StopExecution');
      };
      const runId = await waitingRun(harness);
      const [old] = running(machines);
      if (old === undefined) throw new Error('no execution started');

      // Act
      await harness.engine.cancel(TENANT, runId);
      await settle(harness);
      await harness.engine.retry(TENANT, runId);
      await settle(harness);
      await machines.end(old.executionArn, { status: 'SUCCEEDED', output: { receipt: 'stale' } });
      await settle(harness);
      const stillWaiting = await harness.view(runId);
      const [fresh] = running(machines);
      await machines.end(fresh?.executionArn ?? '', { status: 'SUCCEEDED', output: { receipt: 'r-2' } });
      await settle(harness);

      // Assess
      expect(harness.logs.map((log) => log.message)).toContain(
        'could not stop the outside work of a cancelled node',
      );
      expect(fresh?.name).toMatch(/-e1-a\d+-/);
      expect(stillWaiting.nodes.pay?.status).toBe('WAITING');
      expect(outcomes).toEqual(['ignored', 'completed']);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.pay?.output).toEqual({ receipt: 'r-2' });
    });

    it('takes an end that comes while the run is paused and settles it on resume', async () => {
      // Prepare
      const { harness, machines } = await sfnHarness(makeHarness);
      const runId = await waitingRun(harness);
      const [execution] = running(machines);

      // Act
      await harness.engine.pause(TENANT, runId);
      await machines.end(execution?.executionArn ?? '', { status: 'SUCCEEDED', output: { receipt: 'r-3' } });
      await settle(harness);
      const paused = await harness.view(runId);
      await harness.engine.resume(TENANT, runId);
      await settle(harness);

      // Assess
      expect(paused.nodes.pay?.status).toBe('PARKED');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.pay).toMatchObject({ status: 'SUCCEEDED', output: { receipt: 'r-3' } });
    });

    it('fails a node whose state machine the deployment does not allow, starting nothing', async () => {
      // Prepare
      const { harness, machines } = await sfnHarness(makeHarness);
      const other = 'arn:aws:states:eu-west-1:123456789012:stateMachine:other';
      const definition = { id: 'other', nodes: { pay: { type: 'stepfunctions', stateMachineArn: other } } };

      // Act
      const runId = await waitingRun(harness, definition);

      // Assess
      const run = await harness.view(runId);
      expect(run.nodes.pay?.error?.code).toBe('STEPFUNCTIONS_NOT_ALLOWED');
      expect(machines.starts).toEqual([]);
    });
  });
}
