import type { RunEngine } from '../engine/run-engine.ts';
import { completionOfExecution, nodeHashOf, parseExecutionName } from '../executors/stepfunctions.ts';
import { messageOf } from '../ports/executor.ts';
import {
  ENDED_EXECUTION_STATUSES,
  EXECUTION_STATUSES,
  type ExecutionState,
  type ExecutionStatus,
  type StateMachines,
} from '../ports/state-machines.ts';

/** The EventBridge `detail-type` of a Step Functions execution's status change (source `aws.states`). */
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export interface StateMachineEventDeps {
  readonly engine: Pick<RunEngine, 'completeAwaited'>;
  /** Reads an execution whose event left its output out (over EventBridge's size limit). */
  readonly machines: Pick<StateMachines, 'describe'>;
  readonly log?: (level: 'info' | 'warn', message: string, details: Record<string, unknown>) => void;
}

/** What became of one event: a node completed, or nothing (with why). */
export type ExecutionEndOutcome =
  | { readonly kind: 'completed'; readonly runId: string }
  | { readonly kind: 'ignored'; readonly reason: string };

/**
 * An execution ended: completes, once, the `stepfunctions` node that waits for it. The name says
 * the run and a hash of the node id (`executionNameOf`); the engine reads the run, compiles its
 * plan (cached per version), takes its `stepfunctions` nodes whose id hashes to that, and writes
 * the completion only on the one that still waits for exactly this execution ARN in the run's
 * current epoch. A duplicate event, an execution of an earlier attempt or epoch, of a node that
 * was cancelled or of a run that ended, and a name Skein did not make change nothing.
 */
export async function handleExecutionEnd(
  deps: StateMachineEventDeps,
  event: ExecutionState,
): Promise<ExecutionEndOutcome> {
  if (!ENDED_EXECUTION_STATUSES.includes(event.status)) {
    return { kind: 'ignored', reason: `status ${event.status}` };
  }
  const named = parseExecutionName(event.name);
  if (named === undefined)
    return { kind: 'ignored', reason: `execution ${event.name} was not started by Skein` };
  let state = event;
  if (state.status === 'SUCCEEDED' && state.output === undefined) {
    state = await deps.machines.describe(state.executionArn); // the event left out a large output
  }
  const completed = await deps.engine.completeAwaited(
    named.runId,
    (nodeId, node) => node.type === 'stepfunctions' && nodeHashOf(nodeId) === named.nodeHash,
    state.executionArn,
    completionOfExecution(state),
  );
  return completed
    ? { kind: 'completed', runId: named.runId }
    : { kind: 'ignored', reason: `no node of run ${named.runId} waits for ${state.executionArn}` };
}

/**
 * The execution an EventBridge status-change event tells of, or undefined for any other event.
 * Reads only the fields it needs, defensively: `output`, `error` and `cause` may be null.
 */
export function executionStateOfEvent(event: unknown): ExecutionState | undefined {
  if (!isRecord(event) || event['detail-type'] !== EXECUTION_STATUS_CHANGE || !isRecord(event.detail)) {
    return undefined;
  }
  const { executionArn, stateMachineArn, name, status, output, error, cause } = event.detail;
  if (typeof executionArn !== 'string' || typeof stateMachineArn !== 'string' || typeof name !== 'string') {
    return undefined;
  }
  if (typeof status !== 'string' || !EXECUTION_STATUSES.includes(status as ExecutionStatus)) return undefined;
  return {
    executionArn,
    stateMachineArn,
    name,
    status: status as ExecutionStatus,
    ...(typeof output === 'string' ? { output } : {}),
    ...(typeof error === 'string' ? { error } : {}),
    ...(typeof cause === 'string' ? { cause } : {}),
  };
}

/**
 * The Lambda handler of the EventBridge rule on Step Functions status changes (terminal statuses
 * of the allow-listed state machines): one event per invocation. An event it cannot use is logged
 * and dropped; an infrastructure error throws, so EventBridge retries the delivery (24 h, then the
 * rule's dead-letter queue), and a retry of an event that did complete the node changes nothing.
 * @example export const handler = createStateMachineEventHandler({ engine, machines });
 */
export function createStateMachineEventHandler(deps: StateMachineEventDeps) {
  return async (event: unknown): Promise<ExecutionEndOutcome> => {
    const state = executionStateOfEvent(event);
    if (state === undefined) {
      deps.log?.('warn', 'not a Step Functions status-change event', {
        event: JSON.stringify(event).slice(0, 200),
      });
      return { kind: 'ignored', reason: 'not a status-change event' };
    }
    try {
      const outcome = await handleExecutionEnd(deps, state);
      deps.log?.('info', 'execution ended', {
        executionArn: state.executionArn,
        status: state.status,
        outcome,
      });
      return outcome;
    } catch (error) {
      deps.log?.('warn', 'could not settle an execution end (EventBridge retries it)', {
        executionArn: state.executionArn,
        error: messageOf(error),
      });
      throw error;
    }
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
