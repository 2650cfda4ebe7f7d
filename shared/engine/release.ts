import { LIMITS } from '../domain/limits.ts';
import { messageOf } from '../ports/executor.ts';
import type { NodeRecord, Outcome, RunRecord } from '../ports/run-store.ts';
import { boundedError } from './bounds.ts';
import { ACTIVE_RUN, type EngineContext } from './context.ts';
import { evaluateTemplate } from './evaluate.ts';
import type { NodeMessage } from './messages.ts';
import { type Plan, referencedNodes, type SinkSlot } from './plan.ts';
import { scopeFor } from './scope.ts';

/** At most this many arrivals in flight while releasing a node with many join children. */
const ARRIVAL_CONCURRENCY = 32;

/**
 * What a finished node passes to `childId`: its own outcome, with `continueOnError` failures
 * passed on as successes and the branch a condition did not choose passed on as a skip.
 */
export function edgeOutcome(plan: Plan, node: NodeRecord, childId: string): Outcome {
  const definition = plan.node(node.nodeId);
  let outcome: Outcome;
  if (node.status === 'SUCCEEDED') outcome = 'SUCCEEDED';
  else if (node.status === 'FAILED') outcome = definition?.continueOnError ? 'SUCCEEDED' : 'FAILED';
  else outcome = 'SKIPPED';
  if (outcome === 'SUCCEEDED' && definition?.type === 'condition') {
    const branch = plan.branchOf(node.nodeId, childId);
    const chosen = (node.output as { branch?: unknown } | undefined)?.branch;
    if (branch !== undefined && branch !== chosen) return 'SKIPPED';
  }
  return outcome;
}

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
export async function countSink(
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

/** Ends a run whose sinks are all done: FAILED when a node failed, else SUCCEEDED with its outputs. */
export async function finishRun(cx: EngineContext, runId: string, plan: Plan): Promise<void> {
  const run = await cx.runs.getRun(runId);
  if (!run || !ACTIVE_RUN.includes(run.status)) return;
  const endedAt = cx.iso();
  const expiresAt = Math.floor(cx.now() / 1000) + cx.settings.retentionDays * 86_400;
  if (run.failed) {
    const ended = await cx.runs.updateRun(runId, ACTIVE_RUN, {
      status: 'FAILED',
      endedAt,
      expiresAt,
      updatedAt: endedAt,
    });
    if (ended) cx.emit({ type: 'run.failed', runId, ...(run.error ? { error: run.error } : {}) });
    return;
  }
  const outputs = await evaluateOutputs(cx, run, plan);
  const change = outputs.ok
    ? { status: 'SUCCEEDED' as const, outputs: outputs.value }
    : { status: 'FAILED' as const, failed: true, error: boundedError(outputs.error) };
  const ended = await cx.runs.updateRun(runId, ACTIVE_RUN, {
    ...change,
    endedAt,
    expiresAt,
    updatedAt: endedAt,
  });
  if (ended) {
    cx.emit(
      outputs.ok ? { type: 'run.succeeded', runId } : { type: 'run.failed', runId, error: change.error },
    );
  }
}

async function evaluateOutputs(cx: EngineContext, run: RunRecord, plan: Plan) {
  const template = plan.definition.outputs;
  if (template === undefined) return { ok: true as const, value: {} };
  try {
    const ids = referencedNodes(template, (id) => plan.node(id) !== undefined);
    const scope = await scopeFor(cx, run, ids);
    const value = await evaluateTemplate(template, scope, cx.expressionOptions(), '$.outputs');
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
    if (bytes > LIMITS.maxOutputBytes) {
      return {
        ok: false as const,
        error: {
          code: 'OUTPUT_TOO_LARGE',
          message: `the run outputs are ${bytes} bytes of JSON; the limit is ${LIMITS.maxOutputBytes}`,
        },
      };
    }
    return { ok: true as const, value };
  } catch (error) {
    return { ok: false as const, error: { code: 'OUTPUTS', message: `outputs: ${messageOf(error)}` } };
  }
}
