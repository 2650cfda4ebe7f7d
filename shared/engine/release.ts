import { parseItemId } from '../domain/map-items.ts';
import type { NodeRecord, Outcome, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { countDone } from './done-count.ts';
import { edgeOutcome } from './edges.ts';
import { finishRun } from './finish-run.ts';
import { releaseItem } from './map-run.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan } from './plan.ts';

export { edgeOutcome } from './edges.ts';
export { finishRun } from './finish-run.ts';

/** At most this many arrivals in flight while releasing a node with many join children. */
const ARRIVAL_CONCURRENCY = 32;

/**
 * Everything that follows a node's terminal write, each step idempotent so a redelivered message
 * can redo it after a crash: record a failure on the run, release the children (a message per
 * single-parent child; a conditional arrival per edge into a join, and a message from the
 * arrival that completes it), and count a sink, ending the run when the last sink is counted.
 * A map item's follow-up is its lane's (`releaseItem`).
 */
export async function afterTerminal(cx: EngineContext, run: RunRecord, plan: Plan, node: NodeRecord) {
  if (parseItemId(node.nodeId) !== undefined) return releaseItem(cx, run, plan, node);
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
  if (slot && (await countDone(cx, run, String(run.epoch), slot, plan.shardCount))) {
    await finishRun(cx, run.runId, plan);
  }
}
