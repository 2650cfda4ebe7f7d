import { describe, expect, it } from 'vitest';
import { MemoryStateMachines } from '../../../shared/adapters/memory/state-machines.ts';
import {
  completionOfExecution,
  executionNameOf,
  MAX_EXECUTION_INPUT_BYTES,
  nodeHashOf,
  parseExecutionName,
  StepFunctionsExecutor,
  type StepFunctionsNode,
} from '../../../shared/executors/stepfunctions.ts';
import type { StateMachines } from '../../../shared/ports/state-machines.ts';
import { EXECUTION_NAME, StartRefusedError } from '../../../shared/ports/state-machines.ts';
import { testContext } from './test-context.ts';

const ORDERS = 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders';
const RUN = '01J9Z3K5Q0X8V2N4M6P7R9T1W3';
const node: StepFunctionsNode = { type: 'stepfunctions', stateMachineArn: ORDERS };

function setup(machines: StateMachines = new MemoryStateMachines({ allow: [ORDERS] })) {
  return { machines, executor: new StepFunctionsExecutor({ machines }) };
}

describe('StepFunctionsExecutor', () => {
  it('starts an execution named after the run, epoch, attempt and node, and waits for its ARN until the timeout', async () => {
    // Prepare
    const { machines, executor } = setup();
    const ctx = { ...testContext({ runId: RUN, nodeId: 'pay', attempt: 3 }), epoch: 2 };

    // Act
    const result = await executor.execute({ node: { ...node, timeout: '2h' }, inputs: { amount: 7 }, ctx });

    // Assess
    const name = `sk-${RUN}-e2-a3-${nodeHashOf('pay')}`;
    expect((machines as MemoryStateMachines).starts).toEqual([
      { stateMachineArn: ORDERS, name, input: { amount: 7 } },
    ]);
    expect(result).toEqual({
      kind: 'suspend-for-completion',
      ref: `arn:aws:states:eu-west-1:123456789012:execution:orders:${name}`,
      until: ctx.now + 2 * 3_600_000,
    });
  });

  it('waits with no deadline without a timeout, and starts with {} when `with` is empty', async () => {
    // Prepare
    const { machines, executor } = setup();

    // Act
    const result = await executor.execute({ node, inputs: undefined, ctx: testContext() });

    // Assess
    expect(result).toEqual({
      kind: 'suspend-for-completion',
      ref: expect.stringContaining(':execution:orders:'),
    });
    expect((machines as MemoryStateMachines).starts[0]?.input).toEqual({});
  });

  it('names the same execution when the same attempt starts again, and takes the existing one', async () => {
    // Prepare
    const { machines, executor } = setup();
    const ctx = testContext({ runId: RUN });

    // Act
    const first = await executor.execute({ node, inputs: { a: 1 }, ctx });
    const again = await executor.execute({ node, inputs: { a: 1 }, ctx });

    // Assess
    expect(again).toEqual(first);
    expect((machines as MemoryStateMachines).executions()).toHaveLength(1);
  });

  it('names the execution after the attempt that started it when it continues that one (a takeover)', async () => {
    // Prepare
    const { machines, executor } = setup();
    const ctx = { ...testContext({ runId: RUN, nodeId: 'pay', attempt: 2 }), startAttempt: 1 };

    // Act
    await executor.execute({ node, inputs: {}, ctx });

    // Assess
    expect((machines as MemoryStateMachines).starts[0]?.name).toBe(`sk-${RUN}-e0-a1-${nodeHashOf('pay')}`);
  });

  it('fails for good, starting nothing, for a state machine not allowed or an input over 256 KB', async () => {
    // Prepare
    const { machines, executor } = setup();
    const big = { blob: 'x'.repeat(MAX_EXECUTION_INPUT_BYTES) };

    // Act
    const other = await executor.execute({
      node: { ...node, stateMachineArn: `${ORDERS}-2` },
      inputs: {},
      ctx: testContext(),
    });
    const tooBig = await executor.execute({ node, inputs: big, ctx: testContext() });

    // Assess
    expect(other).toMatchObject({
      kind: 'failed',
      final: true,
      error: { code: 'STEPFUNCTIONS_NOT_ALLOWED' },
    });
    expect(tooBig).toMatchObject({
      kind: 'failed',
      final: true,
      error: { code: 'STEPFUNCTIONS_INPUT_TOO_LARGE' },
    });
    expect((machines as MemoryStateMachines).starts).toEqual([]);
  });

  it('retries a start that failed on the way and fails for good one that Step Functions refused', async () => {
    // Prepare
    const failing = (error: Error): StateMachines => ({
      allows: () => true,
      start: async () => {
        throw error;
      },
      describe: async () => {
        throw error;
      },
      stop: async () => undefined,
    });

    // Act
    const throttled = await setup(failing(new Error('Rate exceeded'))).executor.execute({
      node,
      inputs: {},
      ctx: testContext(),
    });
    const refused = await setup(
      failing(new StartRefusedError('StateMachineDoesNotExist: gone')),
    ).executor.execute({
      node,
      inputs: {},
      ctx: testContext(),
    });

    // Assess
    expect(throttled).toMatchObject({
      kind: 'failed',
      error: { code: 'STEPFUNCTIONS_START_FAILED', retryable: true },
    });
    expect(refused).toMatchObject({
      kind: 'failed',
      final: true,
      error: { code: 'STEPFUNCTIONS_START_REFUSED' },
    });
  });

  it('succeeds with a completion’s output and fails with its error, retryable unless aborted', async () => {
    // Prepare
    const { executor } = setup();
    const woken = (completion: Parameters<typeof testContext>[0]) => testContext(completion);
    const errored = (code: string) => ({ kind: 'errored' as const, error: { code, message: `${code}!` } });

    // Act
    const ok = await executor.execute({
      node,
      inputs: {},
      ctx: woken({ completion: { kind: 'completed', output: { r: 1 } } }),
    });
    const results = await Promise.all(
      ['SFN_FAILED', 'SFN_TIMED_OUT', 'SFN_ABORTED', 'STEPFUNCTIONS_OUTPUT_INVALID'].map((code) =>
        executor.execute({ node, inputs: {}, ctx: woken({ completion: errored(code) }) }),
      ),
    );

    // Assess
    expect(ok).toEqual({ kind: 'succeeded', output: { r: 1 } });
    expect(results.map((result) => result.kind === 'failed' && result.error.retryable)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('at its deadline takes an end that came meanwhile, or stops the execution and times out', async () => {
    // Prepare
    const machines = new MemoryStateMachines({ allow: [ORDERS] });
    const { executor } = setup(machines);
    const startedOne = async (nodeId: string) => {
      const result = await executor.execute({ node, inputs: {}, ctx: testContext({ nodeId }) });
      return result.kind === 'suspend-for-completion' ? (result.ref ?? '') : '';
    };
    const ended = await startedOne('ended');
    const slow = await startedOne('slow');
    await machines.end(ended, { status: 'SUCCEEDED', output: { late: true } }, false);
    const expired = (awaiting: string) => ({
      ...testContext({ completion: { kind: 'expired', deadline: '2026-01-01T01:00:00.000Z' } }),
      awaiting,
    });

    // Act
    const late = await executor.execute({ node, inputs: {}, ctx: expired(ended) });
    const timedOut = await executor.execute({ node, inputs: {}, ctx: expired(slow) });

    // Assess
    expect(late).toEqual({ kind: 'succeeded', output: { late: true } });
    expect(timedOut).toMatchObject({
      kind: 'failed',
      error: { code: 'STEPFUNCTIONS_TIMEOUT', retryable: false },
    });
    expect(timedOut.kind === 'failed' && timedOut.error.message).toContain(
      'did not end by 2026-01-01T01:00:00.000Z',
    );
    expect((await machines.describe(slow)).status).toBe('ABORTED');
  });

  it('tells the engine how an execution ended, or nothing while it runs', async () => {
    // Prepare
    const machines = new MemoryStateMachines({ allow: [ORDERS] });
    const { executionArn } = await machines.start(ORDERS, 'n-1', '{}');
    const { executor } = setup(machines);

    // Act
    const whileRunning = await executor.endOf(executionArn);
    await machines.end(executionArn, { status: 'TIMED_OUT' }, false);
    const afterwards = await executor.endOf(executionArn);

    // Assess
    expect(whileRunning).toBeUndefined();
    expect(afterwards).toEqual({
      error: { code: 'SFN_TIMED_OUT', message: `execution ${executionArn} ended TIMED_OUT` },
    });
  });
});

describe('execution names', () => {
  it('fit Step Functions’ rules for ULID run ids and parse back', () => {
    // Act
    const name = executionNameOf(RUN, 123, 45, 'a node id with spaces and ünïcode, of any length'.repeat(5));

    // Assess
    expect(name).toMatch(EXECUTION_NAME);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(parseExecutionName(name)).toEqual({
      runId: RUN,
      epoch: 123,
      attempt: 45,
      nodeHash: nodeHashOf('a node id with spaces and ünïcode, of any length'.repeat(5)),
    });
  });

  it('do not parse names Skein did not make', () => {
    // Act
    const parsed = ['orders-2026-01-01', 'sk-run-e0-a1-XYZ', `sk-${RUN}-e0-a1`, ''].map(parseExecutionName);

    // Assess
    expect(parsed).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('completionOfExecution', () => {
  const base = { executionArn: 'arn:x', stateMachineArn: ORDERS, name: 'n' };

  it('parses a succeeded execution’s output and refuses one nested too deep', () => {
    // Act
    const ok = completionOfExecution({ ...base, status: 'SUCCEEDED', output: '{"a":[1,2]}' });
    const deep = completionOfExecution({
      ...base,
      status: 'SUCCEEDED',
      output: `${'['.repeat(300)}${']'.repeat(300)}`,
    });

    // Assess
    expect(ok).toEqual({ output: { a: [1, 2] } });
    expect(deep.error?.code).toBe('STEPFUNCTIONS_OUTPUT_INVALID');
  });

  it('carries the error and cause of a failed execution, cut to 2,000 characters', () => {
    // Act
    const failed = completionOfExecution({
      ...base,
      status: 'FAILED',
      error: 'States.TaskFailed',
      cause: 'c'.repeat(5_000),
    });
    const aborted = completionOfExecution({ ...base, status: 'ABORTED' });

    // Assess
    expect(failed.error?.code).toBe('SFN_FAILED');
    expect(failed.error?.message.startsWith('execution arn:x ended FAILED: States.TaskFailed: ccc')).toBe(
      true,
    );
    expect(failed.error?.message.endsWith('… (cut)')).toBe(true);
    expect(failed.error?.message.length).toBeLessThan(2_100);
    expect(aborted).toEqual({ error: { code: 'SFN_ABORTED', message: 'execution arn:x ended ABORTED' } });
  });
});
