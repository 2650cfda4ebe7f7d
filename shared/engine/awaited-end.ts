import type { NodeDefinition } from '../domain/definition-schema.ts';
import { messageOf } from '../ports/executor.ts';
import { type Completion, ItemTooLargeError, type NodeRecord, type RunRecord } from '../ports/run-store.ts';
import { boundedError } from './bounds.ts';
import type { Claim } from './claim.ts';
import { ACTIVE_RUN, type EngineContext } from './context.ts';
import type { StepResult } from './node-finish.ts';
import { waitClaimed } from './wait-claimed.ts';

const DONE: StepResult = { kind: 'done' };

/**
 * Writes `completion` on a node that waits for it, once: conditional on the node's status, fence
 * and epoch as read (`node` and `run` are what the caller read), with a fence bump, so of two
 * racing completions (a notification, a check after the wait was written, the sweeper) exactly
 * one lands; then sends the node its message, and the ordinary claim settles it. If the message
 * is lost the node is WAITING and due (`wakeAt = now`), which the sweeper re-sends. The caller
 * checks first that the node waits for what ended. Returns whether this call completed it.
 */
export async function deliverCompletion(
  cx: EngineContext,
  run: RunRecord,
  node: NodeRecord & { status: 'WAITING' | 'PARKED' },
  completion: Completion,
): Promise<boolean> {
  const write = (given: Completion) =>
    cx.runs.updateNode(
      run.runId,
      node.nodeId,
      { status: [node.status], fence: node.fence, epoch: run.epoch },
      { set: { completion: given, wakeAt: cx.iso() }, bumpFence: true },
      run.expiresAt,
    );
  let written: NodeRecord | undefined;
  try {
    written = await write(completion);
  } catch (error) {
    if (!(error instanceof ItemTooLargeError)) throw error;
    const message = `the result node "${node.nodeId}" waited for is too large to store: return less data`;
    written = await write({ error: { code: 'OUTPUT_TOO_LARGE', message } });
  }
  if (!written) return false;
  await cx.enqueue([{ runId: run.runId, nodeId: node.nodeId, epoch: run.epoch }], await cx.planFor(run));
  return true;
}

/** Picks the nodes of a run's definition that may be waiting for an outside end (by id and definition). */
export type AwaitedNodeMatch = (nodeId: string, node: NodeDefinition) => boolean;

/**
 * The end of outside work that a node waits for by `ref` (`suspend-for-completion` with `ref`,
 * e.g. a Step Functions execution): completes, once, the node of `runId` that `matches` picks and
 * that still waits for exactly this `ref` in the run's current epoch. An end for a run that has
 * ended, a node that ended, was cancelled or retried into another attempt or epoch (it holds
 * another `ref`, or none), or a node already completed changes nothing. Cost: one GetItem of the
 * run, one per matching node (normally one), and the conditional write.
 */
export async function completeAwaited(
  cx: EngineContext,
  runId: string,
  matches: AwaitedNodeMatch,
  ref: string,
  completion: Completion,
): Promise<boolean> {
  const run = await cx.runs.getRun(runId);
  if (!run || !ACTIVE_RUN.includes(run.status)) return false;
  const plan = await cx.planFor(run);
  for (const nodeId of plan.ids) {
    const definition = plan.node(nodeId);
    if (definition === undefined || !matches(nodeId, definition)) continue;
    const node = await cx.runs.getNode(runId, nodeId);
    if (!waitsForRef(node, ref, run.epoch)) continue;
    return deliverCompletion(cx, run, node, boundedCompletion(completion));
  }
  return false;
}

/**
 * WAITING for the outside work named `ref` (the claim's attempt started it), until `until` or with
 * no deadline: no token, `awaitRef = ref`, a message at the deadline. Then the kind's `endOf` is
 * asked once: the work may have ended already, and its notification then found the node RUNNING
 * and wrote nothing.
 */
export async function awaitOutside(
  cx: EngineContext,
  claim: Claim,
  ref: string,
  until: number | undefined,
): Promise<StepResult> {
  const { run, node, plan } = claim;
  const waiting = await waitClaimed(cx, claim, { awaitRef: ref }, until);
  if (!waiting) return DONE; // the lease was taken over: the other worker's wait counts
  let ended: Completion | undefined;
  try {
    ended = await plan.kindOf(node.nodeId)?.endOf?.(ref);
  } catch (error) {
    // The end's own notification still completes the node; the deadline (if any) is the net.
    cx.deps.log?.('could not check whether awaited work had already ended', {
      runId: run.runId,
      nodeId: node.nodeId,
      ref,
      error: messageOf(error),
    });
  }
  if (ended !== undefined && waitsForRef(waiting, ref, run.epoch)) {
    await deliverCompletion(cx, run, waiting, boundedCompletion(ended));
  }
  return DONE;
}

function waitsForRef(
  node: NodeRecord | undefined,
  ref: string,
  epoch: number,
): node is NodeRecord & { status: 'WAITING' | 'PARKED' } {
  return (
    node !== undefined &&
    (node.status === 'WAITING' || node.status === 'PARKED') &&
    node.awaitRef === ref &&
    node.completion === undefined &&
    (node.epoch ?? 0) === epoch
  );
}

/** An error's code and message bounded like every stored error; an output is bounded by the claim. */
function boundedCompletion(completion: Completion): Completion {
  return completion.error === undefined ? completion : { error: boundedError(completion.error) };
}
