import { SkeinError } from '../domain/problems.ts';
import { idempotencyKeyOf } from '../ports/executor.ts';
import { notifyParent } from './child-end.ts';
import type { Claim } from './claim.ts';
import { hashToken } from './completion-token.ts';
import type { EngineContext } from './context.ts';
import { DONE, finishNode, type StepResult } from './node-finish.ts';
import type { SpawnedRun } from './node-result.ts';
import { startRun } from './start-run.ts';
import { waitClaimed } from './wait-claimed.ts';

/** Levels of sub-workflows a run may have above it: a deeper start fails the node. */
export const MAX_WORKFLOW_DEPTH = 10;

/** Refusals of a child's start that a new attempt would meet again: they fail the node for good. */
const FINAL_REFUSALS = new Set(['invalid', 'not_found', 'unprocessable', 'conflict']);

/**
 * Starts the child run of a `workflow` node and parks the node WAITING for it, holding no worker.
 * Idempotent under redelivery and crashes: the start's idempotency key (`wf/<run>/<node>/<epoch>/
 * <attempt>`) is first written on the node under its fence (`spawnKey`), and a takeover of a node
 * whose worker died after that write reuses it, so it finds the same child run instead of starting
 * a second (a run's start is idempotent per tenant and key). The child records its parent (run,
 * node, epoch, attempt, depth); the node records `childRunId`. A child that ended before the wait
 * was written (its notification found the node RUNNING) is noticed by reading it once after.
 */
export async function spawnChild(
  cx: EngineContext,
  claim: Claim,
  child: SpawnedRun,
  until: number | undefined,
): Promise<StepResult> {
  const { run, node } = claim;
  const depth = (run.parent?.depth ?? 0) + 1;
  if (depth > MAX_WORKFLOW_DEPTH) {
    return failNode(
      cx,
      claim,
      'WORKFLOW_DEPTH_EXCEEDED',
      `node "${node.nodeId}" would start a run ${depth} sub-workflows deep; the limit is ${MAX_WORKFLOW_DEPTH}: ` +
        'check the workflows for a call cycle',
    );
  }
  const fenced = { status: ['RUNNING' as const], fence: node.fence, epoch: run.epoch };
  let key = node.spawnKey;
  if (key === undefined) {
    key = spawnKeyOf(run.runId, node.nodeId, run.epoch, node.attempt);
    const noted = await cx.runs.updateNode(
      run.runId,
      node.nodeId,
      fenced,
      { set: { spawnKey: key } },
      run.expiresAt,
    );
    if (!noted) return DONE; // the lease was taken over
  }
  let started: Awaited<ReturnType<typeof startRun>>;
  try {
    started = await startRun(cx, {
      tenant: run.tenant,
      workflow: child.workflow,
      version: child.version,
      inputs: child.inputs,
      idempotencyKey: key,
      parent: { runId: run.runId, nodeId: node.nodeId, epoch: run.epoch, attempt: node.attempt, depth },
    });
  } catch (error) {
    if (!(error instanceof SkeinError) || !FINAL_REFUSALS.has(error.kind)) throw error; // redelivered
    return failNode(
      cx,
      claim,
      error.code,
      `the child run of node "${node.nodeId}" could not start: ${error.message}`,
    );
  }
  const childRun = started.run;
  if (childRun.parent?.runId !== run.runId || childRun.parent.nodeId !== node.nodeId) {
    return failNode(
      cx,
      claim,
      'CHILD_KEY_TAKEN',
      `run ${childRun.runId} holds the idempotency key "${key}" but is not a child of this node: do not start runs with keys that begin with "wf/"`,
    );
  }
  if (!(await waitClaimed(cx, claim, { childRunId: childRun.runId }, until))) return DONE;
  // The child may have ended already: its own notification found this node RUNNING and wrote nothing.
  const now = await cx.runs.getRun(childRun.runId);
  if (now) await notifyParent(cx, now);
  return DONE;
}

/** The idempotency key of a node's child start (at most 128 characters, as start keys must be). */
export function spawnKeyOf(runId: string, nodeId: string, epoch: number, attempt: number): string {
  const key = `wf/${idempotencyKeyOf(runId, nodeId, attempt)}/e${epoch}`;
  return key.length <= 128 ? key : `wf/${hashToken(key)}`;
}

function failNode(cx: EngineContext, claim: Claim, code: string, message: string): Promise<StepResult> {
  return finishNode(cx, claim, { status: 'FAILED', error: { code, message } });
}
