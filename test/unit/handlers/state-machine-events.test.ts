import { describe, expect, it } from 'vitest';
import { MemoryStateMachines } from '../../../shared/adapters/memory/state-machines.ts';
import { flowExecutors } from '../../../shared/executors/flow.ts';
import { NoopExecutor } from '../../../shared/executors/noop.ts';
import { StepFunctionsExecutor } from '../../../shared/executors/stepfunctions.ts';
import {
  createStateMachineEventHandler,
  EXECUTION_STATUS_CHANGE,
  executionStateOfEvent,
} from '../../../shared/handlers/state-machine-events.ts';
import type { ExecutionState } from '../../../shared/ports/state-machines.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { settle } from '../../scenarios/scenario-kit.ts';

const ORDERS = 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders';

/** The event EventBridge delivers (the shape of the Step Functions documentation's example). */
function statusChange(state: ExecutionState, outputIncluded = true) {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: '123456789012',
    time: '2026-01-01T00:00:05Z',
    region: 'eu-west-1',
    resources: [state.executionArn],
    detail: {
      executionArn: state.executionArn,
      stateMachineArn: state.stateMachineArn,
      name: state.name,
      status: state.status,
      startDate: 1767225600000,
      stopDate: 1767225605000,
      input: '{}',
      output: outputIncluded ? (state.output ?? null) : null,
      inputDetails: { included: true },
      outputDetails: { included: outputIncluded },
      error: state.error ?? null,
      cause: state.cause ?? null,
    },
  };
}

/** Two stepfunctions nodes on the same machine waiting in one run; events reach the handler by hand. */
async function twoWaiting() {
  const machines = new MemoryStateMachines({ allow: [ORDERS] });
  const harness = new WorkflowHarness({
    executors: flowExecutors().register(new NoopExecutor()).register(new StepFunctionsExecutor({ machines })),
  });
  await harness.publish({
    id: 'two',
    nodes: {
      left: { type: 'stepfunctions', stateMachineArn: ORDERS, with: { side: 'left' } },
      right: { type: 'stepfunctions', stateMachineArn: ORDERS, with: { side: 'right' } },
    },
  });
  const runId = await harness.start('two');
  await settle(harness);
  const bySide = (side: string) => {
    const index = machines.starts.findIndex((start) => (start.input as { side: string }).side === side);
    const state = machines.executions()[index];
    if (state === undefined) throw new Error(`no execution for ${side}`);
    return state;
  };
  const logs: string[] = [];
  const handler = createStateMachineEventHandler({
    engine: harness.engine,
    machines,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  return { harness, machines, runId, left: bySide('left'), right: bySide('right'), handler, logs };
}

describe('the Step Functions status-change handler', () => {
  it('completes the node that waits for the execution, once, and no other', async () => {
    // Prepare
    const { harness, machines, runId, right, handler } = await twoWaiting();
    const ended = await machines.end(
      right.executionArn,
      { status: 'SUCCEEDED', output: { side: 'R' } },
      false,
    );

    // Act
    const first = await handler(statusChange(ended));
    const duplicate = await handler(statusChange(ended));
    await settle(harness);
    const late = await handler(statusChange(ended));

    // Assess
    expect(first).toEqual({ kind: 'completed', runId });
    expect(duplicate.kind).toBe('ignored');
    expect(late.kind).toBe('ignored');
    const run = await harness.view(runId);
    expect(run.nodes.right).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { side: 'R' } });
    expect(run.nodes.left?.status).toBe('WAITING');
  });

  it('reads the output of an execution whose event left it out', async () => {
    // Prepare
    const { harness, machines, runId, left, handler } = await twoWaiting();
    const ended = await machines.end(
      left.executionArn,
      { status: 'SUCCEEDED', output: { big: true } },
      false,
    );
    const before = machines.describes.length;

    // Act
    const outcome = await handler(statusChange(ended, false));
    await settle(harness);

    // Assess
    expect(outcome.kind).toBe('completed');
    expect(machines.describes.slice(before)).toEqual([left.executionArn]);
    expect((await harness.view(runId)).nodes.left?.output).toEqual({ big: true });
  });

  it('ignores an execution of an unknown run, an unknown node, a name Skein did not make, and other events', async () => {
    // Prepare
    const { harness, machines, runId, left, handler, logs } = await twoWaiting();
    const ended = await machines.end(left.executionArn, { status: 'FAILED', error: 'E' }, false);
    const renamed = (name: string) => statusChange({ ...ended, name, executionArn: `${ORDERS}:${name}` });

    // Act
    const outcomes = await Promise.all([
      handler(renamed(ended.name.replace(runId, 'm-9999'))),
      handler(renamed(ended.name.replace(/[0-9a-f]{10}$/, '0000000000'))),
      handler(renamed('orders-nightly-2026-01-01')),
      handler({ 'detail-type': 'Scheduled Event', detail: {} }),
      handler(statusChange({ ...ended, status: 'RUNNING' })),
    ]);
    await settle(harness);

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'ignored',
      'ignored',
      'ignored',
      'ignored',
      'ignored',
    ]);
    expect(logs).toContain('warn: not a Step Functions status-change event');
    const run = await harness.view(runId);
    expect([run.nodes.left?.status, run.nodes.right?.status]).toEqual(['WAITING', 'WAITING']);
  });

  it('throws when the store fails, so EventBridge delivers the event again', async () => {
    // Prepare
    const { harness, machines, left, handler, logs } = await twoWaiting();
    const ended = await machines.end(left.executionArn, { status: 'SUCCEEDED', output: 1 }, false);
    harness.runs.getRun = async () => {
      throw new Error('throttled');
    };

    // Act
    const handling = handler(statusChange(ended));

    // Assess
    await expect(handling).rejects.toThrow('throttled');
    expect(logs).toContain('warn: could not settle an execution end (EventBridge retries it)');
  });
});

describe('executionStateOfEvent', () => {
  it('reads the execution of a status-change event and nothing of a malformed one', () => {
    // Prepare
    const state: ExecutionState = {
      executionArn: `${ORDERS}:x`,
      stateMachineArn: ORDERS,
      name: 'x',
      status: 'FAILED',
      error: 'E',
      cause: 'C',
    };

    // Act
    const read = executionStateOfEvent(statusChange(state));
    const malformed = [
      null,
      'text',
      { ...statusChange(state), detail: { ...statusChange(state).detail, status: 'EXPLODED' } },
      { ...statusChange(state), detail: { ...statusChange(state).detail, executionArn: 7 } },
    ].map(executionStateOfEvent);

    // Assess
    expect(read).toEqual(state);
    expect(malformed).toEqual([undefined, undefined, undefined, undefined]);
  });
});
