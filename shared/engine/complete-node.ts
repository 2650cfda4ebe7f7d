import { LIMITS } from '../domain/limits.ts';
import { ConflictError, SkeinError } from '../domain/problems.ts';
import { boundedOutput } from '../ports/executor.ts';
import {
  ACTIVE_RUN_STATUSES,
  type Completion,
  ItemTooLargeError,
  type NodeRecord,
} from '../ports/run-store.ts';
import { boundedError } from './bounds.ts';
import { tokenMatches } from './completion-token.ts';
import type { EngineContext } from './context.ts';
import { getOwnRun } from './run-view.ts';

/** The body of `POST .../nodes/{node}/complete`: the token and exactly one of `output` or `error`. */
export type CompletionRequest =
  | { readonly token: string; readonly output: unknown; readonly error?: undefined }
  | { readonly token: string; readonly error: { readonly code: string; readonly message: string } };

export interface CompletionAccepted {
  readonly runId: string;
  readonly nodeId: string;
  /** `completed`: the node settles with it shortly (a worker's claim); `heartbeat`: it waits on. */
  readonly accepted: 'completed' | 'heartbeat';
  /** Heartbeat: the node's new deadline. */
  readonly deadline?: string;
}

/**
 * Completes a node waiting for an outside completion, once: the token must hash to the node's
 * (checked in constant time; a wrong token, or a node that does not exist or never waited, is the
 * same 403 so the answer says nothing about the node); a node no longer waiting is 409; another
 * tenant's run is 404. The write is conditional on the node's state and fence as read, so of two
 * racing completions, or a completion and the deadline's claim, exactly one wins. The node then
 * settles through the ordinary claim (a message sent now): output bounds, retry policy, release
 * of its children, events, crash recovery. A crash after the write is recovered by the sweeper
 * (the node is WAITING and due).
 */
export async function completeNode(
  cx: EngineContext,
  tenant: string,
  runId: string,
  nodeId: string,
  request: CompletionRequest,
): Promise<CompletionAccepted> {
  const { run, node } = await waitingNode(cx, tenant, runId, nodeId, request.token);
  const completion = completionOf(nodeId, request);
  let written: NodeRecord | undefined;
  try {
    written = await cx.runs.updateNode(
      runId,
      nodeId,
      { status: [node.status ?? 'WAITING'], fence: node.fence, epoch: run.epoch },
      // Due now, so the sweeper wakes it if the message below is lost; the fence bump refuses a racing twin.
      { set: { completion, wakeAt: cx.iso() }, remove: ['completionToken'], bumpFence: true },
      run.expiresAt,
    );
  } catch (error) {
    if (!(error instanceof ItemTooLargeError)) throw error;
    throw new SkeinError(
      'OUTPUT_TOO_LARGE',
      `the completion of node "${nodeId}" is too large to store: send less data`,
      'unprocessable',
      '$.body.output',
    );
  }
  if (!written) throw alreadyCompleted(runId, nodeId, await cx.runs.getNode(runId, nodeId));
  await cx.enqueue([{ runId, nodeId, epoch: run.epoch }], await cx.planFor(run));
  return { runId, nodeId, accepted: 'completed' };
}

/**
 * Moves the deadline of a node waiting for a completion one window on (its `timeout`, counted from
 * now), under the same checks as a completion. A heartbeat that loses to the deadline is 409.
 */
export async function heartbeatNode(
  cx: EngineContext,
  tenant: string,
  runId: string,
  nodeId: string,
  token: string,
): Promise<CompletionAccepted> {
  const { run, node } = await waitingNode(cx, tenant, runId, nodeId, token);
  const deadline = cx.now() + (node.completionWindowMs ?? 0);
  const written =
    node.status === 'WAITING' &&
    (await cx.runs.updateNode(
      runId,
      nodeId,
      { status: ['WAITING'], fence: node.fence, epoch: run.epoch },
      { set: { wakeAt: cx.iso(deadline) } },
      run.expiresAt,
    ));
  if (!written) throw alreadyCompleted(runId, nodeId, await cx.runs.getNode(runId, nodeId));
  // The earlier deadline's message finds the node not due yet and is dropped.
  await cx.enqueueAt(
    { runId, nodeId, token: cx.newToken(), epoch: run.epoch },
    deadline,
    await cx.planFor(run),
  );
  return { runId, nodeId, accepted: 'heartbeat', deadline: cx.iso(deadline) };
}

/** The run (404 unless the tenant's) and the node the token opens, still waiting (else 409). */
async function waitingNode(cx: EngineContext, tenant: string, runId: string, nodeId: string, token: string) {
  const run = await getOwnRun(cx, tenant, runId);
  const node = await cx.runs.getNode(runId, nodeId);
  if (!tokenMatches(token, node?.completionTokenHash) || node === undefined) {
    throw invalidToken(nodeId, runId);
  }
  const waiting =
    (node.status === 'WAITING' || node.status === 'PARKED') &&
    node.completion === undefined &&
    (node.epoch ?? 0) === run.epoch &&
    ACTIVE_RUN_STATUSES.includes(run.status);
  if (!waiting) throw alreadyCompleted(runId, nodeId, node, run.status);
  return { run, node };
}

/** The one answer to a token that opens nothing: the same whether or not the node exists. */
export function invalidToken(nodeId: string, runId: string): SkeinError {
  return new SkeinError(
    'CALLBACK_TOKEN_INVALID',
    `this token does not complete node "${nodeId}" of run ${runId}: use the token of its latest wait (the run's view or the node.waiting event)`,
    'forbidden',
    '$.body.token',
  );
}

function alreadyCompleted(runId: string, nodeId: string, node: NodeRecord | undefined, runStatus?: string) {
  const state =
    node?.completion !== undefined
      ? 'a completion was already accepted'
      : runStatus !== undefined && !ACTIVE_RUN_STATUSES.includes(runStatus as never)
        ? `the run is ${runStatus}`
        : `it is ${node?.status ?? 'not waiting'}`;
  return new ConflictError(
    'CALLBACK_ALREADY_COMPLETED',
    `node "${nodeId}" of run ${runId} is no longer waiting for a completion (${state}): a callback completes once`,
  );
}

/** The completion as stored: an output within the node output limits, or a bounded error. */
function completionOf(nodeId: string, request: CompletionRequest): Completion {
  if (request.error !== undefined) return { error: boundedError(request.error) };
  const bounded = boundedOutput(nodeId, request.output, LIMITS.maxOutputBytes);
  if (bounded.kind === 'failed') {
    throw new SkeinError(bounded.error.code, bounded.error.message, 'unprocessable', '$.body.output');
  }
  return { output: bounded.output };
}
