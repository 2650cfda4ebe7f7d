import type { Completion, NodeRecord, RunRecord } from '../ports/run-store.ts';
import { deliverCompletion } from './awaited-end.ts';
import { boundedError } from './bounds.ts';
import { ACTIVE_RUN, type EngineContext, TERMINAL_RUN } from './context.ts';

/** The error a parent's `workflow` node is woken with, by how its child run ended. */
const CHILD_END_CODES = {
  FAILED: 'CHILD_FAILED',
  CANCELLED: 'CHILD_CANCELLED',
  TIMED_OUT: 'CHILD_TIMED_OUT',
} as const;

/**
 * Tells the `workflow` node that started `child` (an ended run) how it ended, once: the write is
 * `deliverCompletion`'s — the completion (the child's outputs, or a CHILD_* error carrying the
 * child's error) and `wakeAt = now` under the node's status, fence and epoch as read, with a fence bump —
 * so of two notifications (the child's end, the parent's own check after it started waiting, the
 * sweeper) exactly one lands, and none lands on a node that no longer waits for this child (it
 * ended, was cancelled, or a retry started another). The node then settles through the ordinary
 * claim (a message sent now; if it is lost the node is WAITING and due, which the sweeper re-sends).
 * Returns whether this call completed the node.
 */
export async function notifyParent(cx: EngineContext, child: RunRecord): Promise<boolean> {
  const parent = child.parent;
  if (parent === undefined || !TERMINAL_RUN.includes(child.status)) return false;
  const run = await cx.runs.getRun(parent.runId);
  if (!run || !ACTIVE_RUN.includes(run.status)) return false;
  const node = await cx.runs.getNode(parent.runId, parent.nodeId);
  if (!waitsFor(node, child.runId, run.epoch)) return false;
  return deliverCompletion(cx, run, node, completionOf(child));
}

/**
 * The sweeper's net under a lost notification (a crash between a child's end and the write on its
 * parent's node): for each node of `run` (as the sweeper listed them) still waiting for a child,
 * read the child run (one GetItem per waiting `workflow` node, only for runs the sweeper reads node
 * by node, i.e. quiet ones) and, when it has ended, notify. Returns how many nodes it completed.
 */
export async function recoverChildEnds(
  cx: EngineContext,
  run: RunRecord,
  nodes: readonly NodeRecord[],
): Promise<number> {
  let completed = 0;
  for (const node of nodes) {
    if (node.childRunId === undefined || !waitsFor(node, node.childRunId, run.epoch)) continue;
    const child = await cx.runs.getRun(node.childRunId);
    if (child && (await notifyParent(cx, child))) completed += 1;
  }
  return completed;
}

function waitsFor(
  node: NodeRecord | undefined,
  childRunId: string,
  epoch: number,
): node is NodeRecord & { status: 'WAITING' | 'PARKED' } {
  return (
    node !== undefined &&
    (node.status === 'WAITING' || node.status === 'PARKED') &&
    node.childRunId === childRunId &&
    node.completion === undefined &&
    (node.epoch ?? 0) === epoch
  );
}

/** What the child's end gives its parent's node: its outputs, or an error that carries its own. */
function completionOf(child: RunRecord): Completion {
  if (child.status === 'SUCCEEDED') return { output: child.outputs ?? {} };
  const code = CHILD_END_CODES[child.status as keyof typeof CHILD_END_CODES] ?? 'CHILD_FAILED';
  const cause = child.error ? `: ${child.error.code}: ${child.error.message}` : '';
  return {
    error: boundedError({
      code,
      message: `child run ${child.runId} (workflow ${child.workflow} ${child.version}) ended ${child.status}${cause}`,
    }),
  };
}
