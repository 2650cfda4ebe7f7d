import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnStateMachines } from '../../../shared/adapters/aws/sfn-state-machines.ts';
import { StartRefusedError } from '../../../shared/ports/state-machines.ts';

const ORDERS = 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:orders:sk-run-e0-a1-0123456789';

const sfn = mockClient(SFNClient);
const machines = new SfnStateMachines({ client: new SFNClient({ region: 'eu-west-1' }), allow: [ORDERS] });

beforeEach(() => {
  sfn.reset();
});

describe('SfnStateMachines', () => {
  it('allows only the listed state machines', () => {
    // Act
    const allowed = [machines.allows(ORDERS), machines.allows(`${ORDERS}-2`), machines.allows('orders')];

    // Assess
    expect(allowed).toEqual([true, false, false]);
  });

  it('starts an execution with the name and input as given', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });

    // Act
    const started = await machines.start(ORDERS, 'sk-run-e0-a1-0123456789', '{"amount":7}');

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: ORDERS, name: 'sk-run-e0-a1-0123456789', input: '{"amount":7}' },
    ]);
    expect(started).toEqual({ executionArn: EXECUTION, existed: false });
  });

  it('takes ExecutionAlreadyExists as the earlier execution of that name', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const started = await machines.start(`${ORDERS}:prod`, 'sk-run-e0-a1-0123456789', '{}');

    // Assess
    expect(started).toEqual({ executionArn: EXECUTION, existed: true });
  });

  it('turns a refusal a retry would meet again into a StartRefusedError and throws anything else as it is', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new StateMachineDoesNotExist({ message: 'no such machine', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const refused = await machines.start(ORDERS, 'n', '{}').catch((error: unknown) => error);
    const throttled = await machines.start(ORDERS, 'n', '{}').catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(StartRefusedError);
    expect((refused as Error).message).toBe('StateMachineDoesNotExist: no such machine');
    expect(throttled).not.toBeInstanceOf(StartRefusedError);
    expect((throttled as Error).name).toBe('ThrottlingException');
  });

  it('describes an execution: status, output, error and cause', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        executionArn: EXECUTION,
        stateMachineArn: ORDERS,
        name: 'sk-run-e0-a1-0123456789',
        status: 'SUCCEEDED',
        startDate: new Date(),
        output: '{"receipt":"r-1"}',
      })
      .resolvesOnce({
        executionArn: EXECUTION,
        stateMachineArn: ORDERS,
        name: 'sk-run-e0-a1-0123456789',
        status: 'FAILED',
        startDate: new Date(),
        error: 'Card.Declined',
        cause: 'insufficient funds',
      });

    // Act
    const succeeded = await machines.describe(EXECUTION);
    const failed = await machines.describe(EXECUTION);

    // Assess
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXECUTION });
    expect(succeeded).toEqual({
      executionArn: EXECUTION,
      stateMachineArn: ORDERS,
      name: 'sk-run-e0-a1-0123456789',
      status: 'SUCCEEDED',
      output: '{"receipt":"r-1"}',
    });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Card.Declined', cause: 'insufficient funds' });
    expect(failed.output).toBeUndefined();
  });

  it('stops an execution with a Skein error and the cause', async () => {
    // Prepare
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    // Act
    await machines.stop(EXECUTION, 'node "pay" timed out');

    // Assess
    expect(sfn.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION, error: 'Skein.Stopped', cause: 'node "pay" timed out' },
    ]);
  });
});
