import type { RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { cancelChild } from './stop-run.ts';

/**
 * The sweeper's net under a crash between a parent's stop and its child's (`recoverChildEnds` is
 * the net under the other direction): a child whose parent no longer waits for it (the parent's
 * node was cancelled, timed out or reset by a retry, and a crash came before the child's own stop)
 * is cancelled. Read for quiet child runs the sweeper inspects: one GetItem of the parent's node.
 * True when the child was stopped.
 */
export async function reapOrphan(cx: EngineContext, child: RunRecord): Promise<boolean> {
  const parent = child.parent;
  if (parent === undefined) return false;
  const node = await cx.runs.getNode(parent.runId, parent.nodeId);
  if (node !== undefined && (node.epoch ?? 0) === parent.epoch) {
    // A claim is deciding (starting this child, or settling its end): not an orphan.
    if (node.status === 'RUNNING') return false;
    const waiting = node.status === 'WAITING' || node.status === 'PARKED';
    if (waiting && node.childRunId === child.runId) return false;
  }
  await cancelChild(cx, child.runId);
  return true;
}
