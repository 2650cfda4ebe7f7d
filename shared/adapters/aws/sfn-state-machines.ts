import {
  DescribeExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  EXECUTION_STATUSES,
  type ExecutionState,
  type ExecutionStatus,
  executionArnOf,
  type StartedExecution,
  StartRefusedError,
  type StateMachines,
} from '../../ports/state-machines.ts';

/** StartExecution errors a new attempt would meet again: the node fails for good. */
const REFUSALS = new Set([
  'StateMachineDoesNotExist',
  'StateMachineDeleting',
  'InvalidArn',
  'InvalidName',
  'InvalidExecutionInput',
  'ValidationException',
  'AccessDeniedException',
  'KmsAccessDeniedException',
  'KmsInvalidStateException',
]);

/**
 * `stepfunctions` nodes on AWS: StartExecution of an allow-listed (Standard) state machine (the
 * ARNs of `-c stateMachineAllow`, which the CDK app also grants to the workers and matches in the
 * status-change rule). A name that is taken (`ExecutionAlreadyExists`: the same start redone after
 * the execution ended, or with other input) is that earlier execution, not an error: the names are
 * per attempt, so it is this attempt's. Other SDK errors are thrown (refusals as
 * `StartRefusedError`) for the executor to classify.
 * @example new SfnStateMachines({ client: new SFNClient({}), allow: ['arn:aws:states:eu-west-1:1:stateMachine:orders'] })
 */
export class SfnStateMachines implements StateMachines {
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly options: { readonly client: SFNClient; readonly allow: readonly string[] }) {
    this.allowed = new Set(options.allow);
  }

  allows(stateMachineArn: string): boolean {
    return this.allowed.has(stateMachineArn);
  }

  async start(stateMachineArn: string, name: string, input: string): Promise<StartedExecution> {
    try {
      const out = await this.options.client.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      return { executionArn: out.executionArn ?? executionArnOf(stateMachineArn, name), existed: false };
    } catch (error) {
      const code = errorName(error);
      if (code === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnOf(stateMachineArn, name), existed: true };
      }
      if (REFUSALS.has(code)) throw new StartRefusedError(`${code}: ${(error as Error).message}`);
      throw error;
    }
  }

  async describe(executionArn: string): Promise<ExecutionState> {
    const out = await this.options.client.send(new DescribeExecutionCommand({ executionArn }));
    const status = out.status as ExecutionStatus | undefined;
    return {
      executionArn: out.executionArn ?? executionArn,
      stateMachineArn: out.stateMachineArn ?? '',
      name: out.name ?? executionArn.split(':').at(-1) ?? '',
      status: status !== undefined && EXECUTION_STATUSES.includes(status) ? status : 'RUNNING',
      ...(out.output !== undefined ? { output: out.output } : {}),
      ...(out.error !== undefined ? { error: out.error } : {}),
      ...(out.cause !== undefined ? { cause: out.cause } : {}),
    };
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    await this.options.client.send(
      new StopExecutionCommand({ executionArn, error: 'Skein.Stopped', cause: cause.slice(0, 32_768) }),
    );
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}
