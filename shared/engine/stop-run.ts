import type { NodeStatus, RunRecord } from '../ports/run-store.ts';
import { ACTIVE_RUN, type EngineContext } from './context.ts';

/** Node states that have not started (`ABSENT`: no status yet): a stopped run cancels them. */
export const NOT_STARTED: readonly (NodeStatus | 'ABSENT')[] = [
  'ABSENT',
  'READY',
  'PARKED',
  'RETRY_WAIT',
  'WAITING',
];

/**
 * Cancels or times out an active run: the run takes its terminal status first (so no node starts
 * after this), then every node that has not started becomes CANCELLED. Running nodes finish; their
 * children are cancelled when their messages arrive. Returns the run after the change, or
 * `undefined` when the run was no longer active. A run past its deadline is timed out by the
 * first of: the sweeper (every minute), or the next message of one of its nodes.
 */
export async function stopRun(
  cx: EngineContext,
  run: RunRecord,
  status: 'CANCELLED' | 'TIMED_OUT',
): Promise<RunRecord | undefined> {
  const endedAt = cx.iso();
  const expiresAt = Math.floor(cx.now() / 1000) + cx.settings.retentionDays * 86_400;
  const error =
    status === 'TIMED_OUT'
      ? { code: 'RUN_TIMEOUT', message: `the run did not finish by its deadline ${run.deadline ?? ''}` }
      : undefined;
  const stopped = await cx.runs.updateRun(run.runId, ACTIVE_RUN, {
    status,
    endedAt,
    expiresAt,
    updatedAt: endedAt,
    ...(error ? { error } : {}),
  });
  if (!stopped) return undefined;
  cx.emit({ type: status === 'TIMED_OUT' ? 'run.timed_out' : 'run.cancelled', runId: run.runId });
  const nodes = await cx.runs.listNodes(run.runId);
  for (const node of nodes) {
    const from = node.status ?? 'ABSENT';
    if (!NOT_STARTED.includes(from)) continue;
    const cancelled = await cx.runs.updateNode(
      run.runId,
      node.nodeId,
      { status: [from] },
      {
        set: {
          status: 'CANCELLED',
          endedAt,
          reason: `the run was ${status === 'TIMED_OUT' ? 'timed out' : 'cancelled'}`,
        },
        remove: ['leaseUntil', 'wakeAt'],
      },
      run.expiresAt,
    );
    if (cancelled) cx.emit({ type: 'node.cancelled', runId: run.runId, nodeId: node.nodeId });
  }
  return stopped;
}
