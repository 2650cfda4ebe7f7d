import { createHash } from 'node:crypto';
import { parseJsonBounded } from '../domain/bounded-parse.ts';
import type { NodeDefinition } from '../domain/definition-schema.ts';
import { parseDuration } from '../domain/duration.ts';
import {
  type AwaitedEnd,
  type ExecutionContext,
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  messageOf,
  succeeded,
} from '../ports/executor.ts';
import {
  ENDED_EXECUTION_STATUSES,
  EXECUTION_NAME,
  type ExecutionState,
  StartRefusedError,
  type StateMachines,
} from '../ports/state-machines.ts';

export type StepFunctionsNode = Extract<NodeDefinition, { type: 'stepfunctions' }>;

/** Step Functions' limit on an execution's input (UTF-8 bytes). */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

/** How much of an execution's error and cause a node's error carries. */
const MAX_CAUSE_CHARS = 2_000;

/** The error codes by how an execution ended. */
export const EXECUTION_END_CODES = {
  FAILED: 'SFN_FAILED',
  TIMED_OUT: 'SFN_TIMED_OUT',
  ABORTED: 'SFN_ABORTED',
} as const;

/**
 * Ends a retry of the node may cure (a retry is a new execution). An aborted execution was stopped
 * by someone on purpose: not retried unless `retryOn` names `SFN_ABORTED`.
 */
const RETRYABLE_ENDS: ReadonlySet<string> = new Set([
  EXECUTION_END_CODES.FAILED,
  EXECUTION_END_CODES.TIMED_OUT,
]);

/**
 * The `stepfunctions` kind: the first claim starts an execution of `stateMachineArn` (one the
 * deployment allow-lists) with the evaluated `with` as its input, named after the attempt
 * (`executionNameOf`), and the node waits, holding no worker, until the execution's status-change
 * event ends it (`handlers/state-machine-events.ts`; nothing polls) or the node's own `timeout`
 * passes. The claim the end wakes succeeds with the execution's output (parsed JSON) or fails with
 * `SFN_FAILED` (carrying the execution's error and cause) or `SFN_TIMED_OUT` (both retried per the
 * node's policy: a new attempt is a new execution), or `SFN_ABORTED` (not retried unless `retryOn`
 * names it). The deadline reads the execution once (its end may be on its way) and otherwise
 * stops it and fails the node with `STEPFUNCTIONS_TIMEOUT`; a cancelled node's execution is
 * stopped (`cancelAwaited`). `startsOnce`: a takeover of an attempt whose worker died after
 * starting (`ctx.startAttempt`) names, and so finds, that attempt's execution.
 * @example await new StepFunctionsExecutor({ machines }).execute({ node: { type: 'stepfunctions', stateMachineArn }, inputs: { id: 7 }, ctx })
 * // { kind: 'suspend-for-completion', ref: 'arn:aws:states:...:execution:orders:sk-01J...-e0-a1-3f2a9c1b0d' }
 */
export class StepFunctionsExecutor implements Executor<StepFunctionsNode> {
  readonly type = 'stepfunctions';
  readonly inline = true;
  readonly awaitsCompletion = true;
  readonly startsOnce = true;

  constructor(private readonly options: { readonly machines: StateMachines }) {}

  async execute({ node, inputs, ctx }: ExecutionRequest<StepFunctionsNode>): Promise<ExecutionResult> {
    const given = ctx.completion;
    if (given === undefined) return this.start(node, inputs, ctx);
    switch (given.kind) {
      case 'completed':
        return succeeded(given.output);
      case 'errored':
        return failure(given.error.code, given.error.message, RETRYABLE_ENDS.has(given.error.code));
      case 'expired':
        return this.expire(ctx, given.deadline);
    }
  }

  /** How the execution `executionArn` ended, or undefined while it runs (the engine asks once). */
  async endOf(executionArn: string): Promise<AwaitedEnd | undefined> {
    const state = await this.options.machines.describe(executionArn);
    return ENDED_EXECUTION_STATUSES.includes(state.status) ? completionOfExecution(state) : undefined;
  }

  /** The node's run was stopped: stop its execution too (an ended one is left as it is). */
  async cancelAwaited(executionArn: string, cause: string): Promise<void> {
    await this.options.machines.stop(executionArn, cause);
  }

  private async start(
    node: StepFunctionsNode,
    inputs: unknown,
    ctx: ExecutionContext,
  ): Promise<ExecutionResult> {
    const { machines } = this.options;
    const arn = node.stateMachineArn;
    if (!machines.allows(arn)) {
      return final(
        'STEPFUNCTIONS_NOT_ALLOWED',
        `node "${ctx.nodeId}" starts state machine "${arn}", which this deployment does not allow (-c stateMachineAllow on AWS)`,
      );
    }
    const input = JSON.stringify(inputs ?? {});
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > MAX_EXECUTION_INPUT_BYTES) {
      return final(
        'STEPFUNCTIONS_INPUT_TOO_LARGE',
        `node "${ctx.nodeId}" would start an execution with ${bytes} bytes of input; Step Functions takes at most ${MAX_EXECUTION_INPUT_BYTES}: pass a reference (an S3 key) instead`,
      );
    }
    // A takeover of an attempt whose worker died after starting names that attempt's execution.
    const name = executionNameOf(ctx.runId, ctx.epoch ?? 0, ctx.startAttempt ?? ctx.attempt, ctx.nodeId);
    if (!EXECUTION_NAME.test(name)) {
      return final(
        'STEPFUNCTIONS_NAME',
        `run id "${ctx.runId}" cannot name a Step Functions execution ("${name}")`,
      );
    }
    let executionArn: string;
    try {
      ({ executionArn } = await machines.start(arn, name, input));
    } catch (error) {
      if (error instanceof StartRefusedError) {
        return final(
          'STEPFUNCTIONS_START_REFUSED',
          `state machine "${arn}" refused node "${ctx.nodeId}": ${error.message}`,
        );
      }
      return failure(
        'STEPFUNCTIONS_START_FAILED',
        `node "${ctx.nodeId}" could not start state machine "${arn}": ${messageOf(error)}`,
        true,
      );
    }
    const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
    return {
      kind: 'suspend-for-completion',
      ref: executionArn,
      ...(timeoutMs === undefined ? {} : { until: ctx.now + timeoutMs }),
    };
  }

  /** The node's deadline: the execution's end if it came (its event may be late), else stop it and fail. */
  private async expire(ctx: ExecutionContext, deadline: string): Promise<ExecutionResult> {
    const { machines } = this.options;
    const executionArn = ctx.awaiting;
    if (executionArn !== undefined) {
      try {
        const ended = await this.endOf(executionArn);
        if (ended !== undefined) {
          return ended.error === undefined
            ? succeeded(ended.output)
            : failure(ended.error.code, ended.error.message, RETRYABLE_ENDS.has(ended.error.code));
        }
        await machines.stop(executionArn, `Skein: node "${ctx.nodeId}" of run ${ctx.runId} timed out`);
      } catch {
        // Best effort: the node times out either way; an execution left running ends on its own.
      }
    }
    return failure(
      'STEPFUNCTIONS_TIMEOUT',
      `the execution ${executionArn ?? '?'} of node "${ctx.nodeId}" did not end by ${deadline}: it was stopped; ` +
        'give the node a longer `timeout`, or make the state machine faster',
    );
  }
}

/**
 * The execution a node's attempt starts: `sk-<runId>-e<epoch>-a<attempt>-<10 hex digits of
 * sha256(nodeId)>`, at most 80 characters of `[A-Za-z0-9_-]` for ULID run ids. Deterministic, so a
 * start that is redone for the same attempt names the same execution (Step Functions answers the
 * same execution, or ExecutionAlreadyExists, which the adapter turns into that execution); a new
 * attempt or a run retry (a new epoch) names a new one. The node id is hashed (ids may hold
 * characters names may not, and may be long); the event handler finds the node again by reading
 * the run's plan and hashing its `stepfunctions` nodes' ids, then checks the node still waits for
 * exactly this execution ARN, so no index is needed.
 * @example executionNameOf('01J9Z3K5Q0X8V2N4M6P7R9T1W3', 0, 1, 'charge') // 'sk-01J9Z3K5Q0X8V2N4M6P7R9T1W3-e0-a1-…'
 */
export function executionNameOf(runId: string, epoch: number, attempt: number, nodeId: string): string {
  return `sk-${runId}-e${epoch}-a${attempt}-${nodeHashOf(nodeId)}`;
}

/** The parts of a name `executionNameOf` made, or undefined for any other name. */
export function parseExecutionName(
  name: string,
):
  | { readonly runId: string; readonly epoch: number; readonly attempt: number; readonly nodeHash: string }
  | undefined {
  const match = /^sk-(.+)-e(\d{1,9})-a(\d{1,9})-([0-9a-f]{10})$/.exec(name);
  if (!match) return undefined;
  const [, runId = '', epoch = '', attempt = '', nodeHash = ''] = match;
  return { runId, epoch: Number(epoch), attempt: Number(attempt), nodeHash };
}

/** The part of an execution's name that stands for the node id. */
export function nodeHashOf(nodeId: string): string {
  return createHash('sha256').update(nodeId).digest('hex').slice(0, 10);
}

/**
 * What an ended execution gives the node: its output parsed (bounded nesting), or an error by its
 * status carrying Step Functions' error name and cause (cut to 2,000 characters).
 */
export function completionOfExecution(state: ExecutionState): AwaitedEnd {
  if (state.status === 'SUCCEEDED') {
    const parsed = parseJsonBounded(state.output ?? 'null');
    if (parsed.ok) return { output: parsed.value };
    return {
      error: {
        code: 'STEPFUNCTIONS_OUTPUT_INVALID',
        message: `execution ${state.executionArn} returned an output that cannot be read: ${parsed.problem.message}`,
      },
    };
  }
  const code =
    EXECUTION_END_CODES[state.status as keyof typeof EXECUTION_END_CODES] ?? EXECUTION_END_CODES.FAILED;
  const told = [state.error, state.cause].filter((part) => part !== undefined && part !== '').join(': ');
  const detail = told.length > MAX_CAUSE_CHARS ? `${told.slice(0, MAX_CAUSE_CHARS)}… (cut)` : told;
  return {
    error: {
      code,
      message: `execution ${state.executionArn} ended ${state.status}${detail === '' ? '' : `: ${detail}`}`,
    },
  };
}

function final(code: string, message: string): ExecutionResult {
  return { ...failure(code, message), final: true };
}
