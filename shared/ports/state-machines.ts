/**
 * Starts and reads Step Functions executions: AWS Step Functions on AWS
 * (`adapters/aws/sfn-state-machines.ts`), an in-memory stand-in in tests and `skein run`
 * (`adapters/memory/state-machines.ts`). The `stepfunctions` node type runs through it; an
 * execution's end reaches the engine as an event (`handlers/state-machine-events.ts`), never by
 * polling.
 */
export interface StateMachines {
  /** Whether `stateMachineArn` may be started at all: the deployment's allow-list. */
  allows(stateMachineArn: string): boolean;
  /**
   * Starts an execution named `name` with `input` (JSON text). Idempotent by name: an execution
   * of that name that already exists (the same start redelivered, or one that already ended) is
   * returned with `existed: true` rather than started again.
   */
  start(stateMachineArn: string, name: string, input: string): Promise<StartedExecution>;
  /** The execution's status, and how it ended once it has. */
  describe(executionArn: string): Promise<ExecutionState>;
  /** Stops a running execution (best effort: one that has ended is left as it is). */
  stop(executionArn: string, cause: string): Promise<void>;
}

export interface StartedExecution {
  readonly executionArn: string;
  /** The name was taken already: this is the earlier execution. */
  readonly existed: boolean;
}

/** The statuses Step Functions reports (`DescribeExecution`, the status-change event). */
export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** The statuses of an execution that has ended (a status-change event of these completes a node). */
export const ENDED_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

/** An execution as `describe` and the status-change event tell it. */
export interface ExecutionState {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  /** The execution's name (the last part of its ARN). */
  readonly name: string;
  readonly status: ExecutionStatus;
  /**
   * SUCCEEDED: the output as JSON text. Absent when the event left it out (over its size limit):
   * `describe` then gives it.
   */
  readonly output?: string;
  /** FAILED / TIMED_OUT / ABORTED: the error name and cause Step Functions recorded, if any. */
  readonly error?: string;
  readonly cause?: string;
}

/** The name of a Step Functions execution: at most 80 characters of `[A-Za-z0-9_-]` (what Skein makes). */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * A start that Step Functions refused for a reason a new attempt would meet again (no such state
 * machine, an invalid ARN or input, access denied): the node fails for good. Anything else thrown
 * by `start` (throttling, a network error) is retried per the node's policy.
 */
export class StartRefusedError extends Error {
  override readonly name = 'StartRefusedError';
}

/**
 * The ARN of the execution `name` of `stateMachineArn` (a version or alias qualifier dropped: its
 * executions belong to the state machine).
 * @example executionArnOf('arn:aws:states:eu-west-1:1:stateMachine:orders', 'x') // 'arn:aws:states:eu-west-1:1:execution:orders:x'
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const [arn, partition, service, region, account, , machine] = stateMachineArn.split(':');
  return [arn, partition, service, region, account, 'execution', machine, name].join(':');
}
