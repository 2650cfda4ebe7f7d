import type { NodeRecord, NodeStatus, RunControl, RunRecord } from '../ports/run-store.ts';
import { notifyParent } from './child-end.ts';
import { releaseSlot } from './concurrency.ts';
import { ACTIVE_RUN, type EngineContext, TERMINAL_NODE } from './context.ts';
import { type ControlProgress, type Pace, refOf, sendControl, writePaced } from './control-pace.ts';
import { withItems } from './map-run.ts';
import type { Plan } from './plan.ts';
import { endedExpiry } from './retention.ts';

/** Node states that have not started (`ABSENT`: no status yet): a stopped run cancels them. */
export const NOT_STARTED: readonly (NodeStatus | 'ABSENT')[] = [
  'ABSENT',
  'READY',
  'PARKED',
  'RETRY_WAIT',
  'WAITING',
];

export type StopStatus = 'CANCELLED' | 'TIMED_OUT';

/**
 * Cancels or times out an active run. First the run takes its terminal status with a pending
 * stop control (so a worker that reads the run from now on starts nothing), then `finishStop`
 * marks CANCELLED every node that could still be claimed by a message read before the flip: the
 * nodes that have not started, the RUNNING ones whose worker died, and, in epoch 0, the nodes
 * with no item yet whose message may be in flight (roots, children of finished nodes). Running
 * nodes finish. Returns the run after the flip (its control pending when `pace` ran out), or
 * `undefined` when the run was no longer active. A run past its deadline is timed out by the
 * first of: the sweeper, or the next message of one of its nodes.
 */
export async function stopRun(
  cx: EngineContext,
  run: RunRecord,
  status: StopStatus,
  pace: Pace = {},
): Promise<RunRecord | undefined> {
  const endedAt = cx.iso();
  const expiresAt = endedExpiry(cx, (await cx.planFor(run)).definition);
  const error =
    status === 'TIMED_OUT'
      ? { code: 'RUN_TIMEOUT', message: `the run did not finish by its deadline ${run.deadline ?? ''}` }
      : undefined;
  const control: RunControl = {
    action: status === 'TIMED_OUT' ? 'time_out' : 'cancel',
    epoch: run.epoch,
    since: endedAt,
  };
  const stopped = await cx.runs.updateRun(run.runId, ACTIVE_RUN, {
    status,
    endedAt,
    expiresAt,
    updatedAt: endedAt,
    control,
    ...(error ? { error } : {}),
  });
  if (!stopped) return undefined;
  cx.emit({ type: status === 'TIMED_OUT' ? 'run.timed_out' : 'run.cancelled', runId: run.runId });
  // The run no longer counts against its workflow's cap, even while its nodes are being marked.
  await releaseSlot(cx, stopped, await cx.planFor(stopped));
  await notifyParent(cx, stopped);
  await finishStop(cx, stopped, pace);
  return (await cx.runs.getRun(run.runId)) ?? stopped;
}

/**
 * The second half of a stop, resumable: marks the nodes (see `stopRun`) within `pace`, then
 * clears the control once no node of the epoch is left RUNNING. Each mark is conditional on the
 * node's state and epoch, so a slice that repeats a finished mark changes nothing.
 */
export async function finishStop(cx: EngineContext, run: RunRecord, pace: Pace): Promise<ControlProgress> {
  const control = run.control;
  if (!control || control.action === 'retry') return 'gone';
  const status = run.status as 'CANCELLED' | 'TIMED_OUT';
  const plan = await cx.planFor(run);
  const reason = `the run was ${status === 'TIMED_OUT' ? 'timed out' : 'cancelled'}`;
  let nodes = await withItems(cx, run.runId, await cx.runs.listNodes(run.runId));
  let done = control.done ?? 0;
  for (let round = 1; ; round += 1) {
    const now = cx.iso();
    const targets = stopTargets(plan, nodes, control.epoch, now);
    const stopping = { ...run, control: { ...control, done, total: done + targets.length } };
    const { written, outcome } = await writePaced(cx, stopping, status, targets, done, pace, (target) =>
      markStopped(cx, run, plan, control.epoch, target, now, reason),
    );
    if (outcome !== 'done') return outcome;
    done += written;
    // A node still RUNNING under a live lease may belong to a dead worker, and nothing else would
    // end it once the run has stopped: the stop stays pending (the run in the sweeper's listing)
    // until it ends or its lease runs out and the sweeper marks it. Read again: a claim decided
    // before the flip may have landed on a node between the listing and its mark, and a node that
    // was RUNNING at the listing may have been parked, handed back or given arrivals since (it is
    // claimable again, so it is marked in another round before the stop closes).
    const after = await withItems(cx, run.runId, await cx.runs.listNodes(run.runId));
    const running = after.some(
      (node) =>
        (node.epoch ?? 0) === control.epoch &&
        node.status === 'RUNNING' &&
        node.leaseUntil !== undefined &&
        node.leaseUntil >= now,
    );
    if (running) return 'wait';
    if (stopTargets(plan, after, control.epoch, cx.iso()).length === 0) break;
    if (round >= MAX_STOP_ROUNDS) return 'wait'; // nodes keep changing: the sweeper goes on
    nodes = after;
  }
  const cleared = await cx.runs.updateRun(
    run.runId,
    [status],
    { status, remove: ['control'], updatedAt: cx.iso() },
    { control: refOf(control) },
  );
  return cleared ? 'done' : 'gone';
}

/** Rounds of marking one stop slice makes before it leaves the rest to the sweeper. */
const MAX_STOP_ROUNDS = 3;

/** Marks one node of a stopped run CANCELLED, if it is still in the state it was listed in. */
async function markStopped(
  cx: EngineContext,
  run: RunRecord,
  plan: Plan,
  epoch: number,
  { nodeId, from, childRunId, awaitRef }: StopTarget,
  now: string,
  reason: string,
): Promise<void> {
  const abandoned = from === 'RUNNING';
  const cancelled = await cx.runs.updateNode(
    run.runId,
    nodeId,
    abandoned ? { status: [], orLeaseExpiredBefore: now, epoch } : { status: [from], epoch },
    {
      set: {
        status: 'CANCELLED',
        endedAt: now,
        reason: abandoned ? `${reason}; its worker had stopped` : reason,
      },
      // A worker that still holds an expired claim cannot complete the node.
      ...(abandoned ? { bumpFence: true } : {}),
      remove: ['leaseUntil', 'wakeAt', 'readyAt', 'completionToken', 'completion'],
    },
    run.expiresAt,
  );
  if (!cancelled) return;
  cx.emit({ type: 'node.cancelled', runId: run.runId, nodeId });
  if (childRunId !== undefined) await cancelChild(cx, childRunId);
  if (awaitRef !== undefined && from !== 'RUNNING') await cancelAwaited(cx, plan, run, nodeId, awaitRef);
}

/**
 * A node that waited for outside work (`awaitRef`) was cancelled: its kind stops the work, best
 * effort (`Executor.cancelAwaited`). An engine without the kind, or a failure, leaves the work
 * running: its end is then ignored (the node no longer waits for it).
 */
async function cancelAwaited(cx: EngineContext, plan: Plan, run: RunRecord, nodeId: string, ref: string) {
  try {
    await plan.kindOf(nodeId)?.cancelAwaited?.(ref, `Skein: run ${run.runId} was stopped`);
  } catch (error) {
    cx.deps.log?.('could not stop the outside work of a cancelled node', {
      runId: run.runId,
      nodeId,
      ref,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * A `workflow` node no longer waits for its child (its run stopped, or its own timeout passed):
 * the child is cancelled too (its own stop, which goes on down its children). A child that already ended, or whose stop is pending,
 * is left as it is. A crash between the node's mark and this leaves the child running to its end.
 */
export async function cancelChild(cx: EngineContext, childRunId: string): Promise<void> {
  const child = await cx.runs.getRun(childRunId);
  if (!child || !ACTIVE_RUN.includes(child.status) || child.control) return;
  const stopped = await stopRun(cx, child, 'CANCELLED', { maxWrites: cx.settings.inlineControlNodes });
  if (stopped?.control) await sendControl(cx, childRunId, stopped.control);
}

interface StopTarget {
  readonly nodeId: string;
  readonly from: NodeStatus | 'ABSENT';
  readonly childRunId?: string;
  readonly awaitRef?: string;
}

/**
 * Nodes a stop must mark: items of the control's epoch that have not started or whose worker
 * died (lease expired), and in epoch 0 the nodes without an item that a message may be on its
 * way to (roots, single-parent children of finished nodes). In a later epoch every node that can
 * run has an item: the retry's reset wrote it.
 */
function stopTargets(plan: Plan, nodes: readonly NodeRecord[], epoch: number, now: string) {
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  const targets: StopTarget[] = [];
  for (const node of nodes) {
    if ((node.epoch ?? 0) !== epoch) continue;
    const from = node.status ?? 'ABSENT';
    const abandoned = from === 'RUNNING' && node.leaseUntil !== undefined && node.leaseUntil < now;
    if (NOT_STARTED.includes(from) || abandoned) {
      targets.push({
        nodeId: node.nodeId,
        from,
        ...(node.childRunId ? { childRunId: node.childRunId } : {}),
        ...(node.awaitRef ? { awaitRef: node.awaitRef } : {}),
      });
    }
  }
  if (epoch === 0) {
    for (const id of plan.ids) {
      if (byId.has(id)) continue;
      const parents = plan.parents(id);
      const [only] = parents;
      const released =
        only !== undefined && parents.length === 1 && TERMINAL_NODE.has(byId.get(only)?.status);
      if (parents.length === 0 || released) targets.push({ nodeId: id, from: 'ABSENT' });
    }
  }
  return targets;
}
