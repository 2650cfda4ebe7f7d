import type { NodeRecord, Outcome, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { edgeOutcome } from './edges.ts';
import { finishRun } from './finish-run.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan, SinkSlot } from './plan.ts';

export { edgeOutcome } from './edges.ts';
export { finishRun } from './finish-run.ts';

/** At most this many arrivals in flight while releasing a node with many join children. */
const ARRIVAL_CONCURRENCY = 32;

/**
 * Everything that follows a node's terminal write, each step idempotent so a redelivered message
 * can redo it after a crash: record a failure on the run, release the children (a message per
 * single-parent child; a conditional arrival per edge into a join, and a message from the
 * arrival that completes it), and count a sink, ending the run when the last sink is counted.
 */
export async function afterTerminal(cx: EngineContext, run: RunRecord, plan: Plan, node: NodeRecord) {
  const definition = plan.node(node.nodeId);
  if (node.status === 'FAILED' && !definition?.continueOnError) {
    const error = node.error ?? { code: 'FAILED', message: `node "${node.nodeId}" failed` };
    await cx.runs.recordFailure(run.runId, { ...error, nodeId: node.nodeId }, cx.iso());
  }
  const messages: Omit<NodeMessage, 'token'>[] = [];
  const joins: [string, Outcome][] = [];
  for (const childId of plan.children(node.nodeId)) {
    const outcome = edgeOutcome(plan, node, childId);
    if (plan.parents(childId).length === 1)
      messages.push({ runId: run.runId, nodeId: childId, via: outcome, epoch: run.epoch });
    else joins.push([childId, outcome]);
  }
  for (let start = 0; start < joins.length; start += ARRIVAL_CONCURRENCY) {
    const batch = joins.slice(start, start + ARRIVAL_CONCURRENCY);
    const arrivals = await Promise.all(
      batch.map(([childId, outcome]) =>
        cx.runs.arrive(run.runId, childId, node.nodeId, outcome, run.expiresAt, run.epoch),
      ),
    );
    for (const { node: child } of arrivals) {
      // Also on a duplicate arrival: the writer that completed the join may have crashed before
      // sending; a second message is harmless because claims are conditional.
      if (child.status === undefined && child.arrived.length === plan.parents(child.nodeId).length) {
        messages.push({ runId: run.runId, nodeId: child.nodeId, via: 'JOIN', epoch: run.epoch });
      }
    }
  }
  await cx.enqueue(messages, plan);
  const slot = plan.sinkSlot(node.nodeId);
  if (slot && (await countSink(cx, run, run.epoch, plan, slot))) await finishRun(cx, run.runId, plan);
}

/**
 * Counts a finished sink in the done-sets of `epoch` (its shard, then the shard in the top set
 * once full). Idempotent. True when every sink of the run is counted.
 */
async function countSink(
  cx: EngineContext,
  run: Pick<RunRecord, 'runId' | 'expiresAt'>,
  epoch: number,
  plan: Plan,
  slot: SinkSlot,
): Promise<boolean> {
  const shard = await cx.runs.addDone(run.runId, `${epoch}#${slot.shard}`, slot.member, run.expiresAt);
  if (shard.size < slot.shardSize) return false;
  if (plan.shardCount === 1) return true;
  const top = await cx.runs.addDone(run.runId, `${epoch}#top`, slot.shard, run.expiresAt);
  return top.size === plan.shardCount;
}
