import type { NodeRecord, RunRecord } from '../ports/run-store.ts';
import { type EngineContext, TERMINAL_NODE } from './context.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan } from './plan.ts';
import { afterTerminal, edgeOutcome, finishRun } from './release.ts';
import { stopRun } from './stop-run.ts';

export interface SweepReport {
  readonly runsChecked: number;
  readonly timedOut: number;
  /** Node messages sent again: expired leases, lost wake-ups, unsent starts. */
  readonly requeued: number;
  /** Finished nodes whose release was redone: their children showed no sign of it. */
  readonly released: number;
  /** Runs whose sweep failed (a store error); the next sweep tries them again. */
  readonly errors: number;
}

export interface SweepOptions {
  /** Only runs whose last change is older than this are inspected node by node. @default 60_000 */
  readonly quietMs?: number;
}

/**
 * The safety net behind SQS redelivery, run every minute: times out active runs past their
 * deadline and, for active runs quiet for a while, re-enqueues nodes that should be moving but
 * may have lost their message: RUNNING with an expired lease, RETRY_WAIT/WAITING past their
 * wake-up, READY, PARKED (a resume that crashed), complete joins never claimed, nodes a retry
 * control reset but crashed before enqueuing, and roots of a run whose start crashed before
 * enqueuing them. Duplicates are harmless: claims are conditional. Reads O(run) per inspected
 * run, never per node.
 */
export async function sweep(cx: EngineContext, options: SweepOptions = {}): Promise<SweepReport> {
  const quietMs = options.quietMs ?? 60_000;
  let runsChecked = 0;
  let timedOut = 0;
  let requeued = 0;
  let released = 0;
  let errors = 0;
  let cursor: string | undefined;
  do {
    const page = await cx.runs.listActiveRuns({ limit: 100, ...(cursor ? { cursor } : {}) });
    cursor = page.cursor;
    for (const run of page.items) {
      runsChecked += 1;
      try {
        const swept = await sweepRun(cx, run, quietMs);
        timedOut += swept.timedOut;
        requeued += swept.requeued;
        released += swept.released;
      } catch {
        errors += 1; // one broken run must not stop the sweep of the others
      }
    }
  } while (cursor);
  return { runsChecked, timedOut, requeued, released, errors };
}

async function sweepRun(cx: EngineContext, run: RunRecord, quietMs: number) {
  const swept = { timedOut: 0, requeued: 0, released: 0 };
  const now = cx.now();
  if (run.deadline !== undefined && run.deadline <= cx.iso(now)) {
    if (await stopRun(cx, run, 'TIMED_OUT')) swept.timedOut = 1;
    return swept;
  }
  if (Date.parse(run.updatedAt) > now - quietMs) return swept;
  if (run.status === 'QUEUED') {
    // A retry control that stopped between claiming the run and restarting it: restart it;
    // the next sweep re-enqueues the nodes it reset.
    await cx.runs.updateRun(run.runId, ['QUEUED'], { status: 'RUNNING', updatedAt: cx.iso() });
    return swept;
  }
  if (run.status !== 'RUNNING') return swept;
  const plan = await cx.planFor(run);
  const nodes = await cx.runs.listNodes(run.runId);
  const messages = stalled(plan, run, nodes, cx.iso(now), cx.iso(now - quietMs));
  await cx.enqueue(
    messages.map((message) => ({ ...message, epoch: run.epoch })),
    plan,
  );
  swept.requeued = messages.length;
  swept.released = await releaseLost(cx, run, plan, nodes);
  return swept;
}

/**
 * A message lost after its node finished (a queue that lost its contents, as fauxqs does on a
 * restart of `npm start`) leaves children that were never released: redo the release of such
 * nodes (idempotent), and end a run whose sinks have all finished.
 */
async function releaseLost(cx: EngineContext, run: RunRecord, plan: Plan, nodes: readonly NodeRecord[]) {
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  let released = 0;
  for (const node of nodes) {
    if (!TERMINAL_NODE.has(node.status)) continue;
    const unreleased = plan.children(node.nodeId).some((childId) => {
      const child = byId.get(childId);
      return plan.parents(childId).length === 1 ? child === undefined : !child?.arrived.includes(node.nodeId);
    });
    if (!unreleased) continue;
    await afterTerminal(cx, run, plan, node);
    released += 1;
  }
  const sinks = plan.ids.filter((id) => plan.sinkSlot(id) !== undefined);
  if (sinks.every((id) => TERMINAL_NODE.has(byId.get(id)?.status))) {
    // A worker may have died between a node's FAILED write and recording it on the run.
    for (const node of nodes) {
      if (node.status === 'FAILED' && !plan.node(node.nodeId)?.continueOnError) {
        const error = node.error ?? { code: 'FAILED', message: `node "${node.nodeId}" failed` };
        await cx.runs.recordFailure(run.runId, { ...error, nodeId: node.nodeId }, cx.iso());
      }
    }
    await finishRun(cx, run.runId, plan);
  }
  return released;
}

function stalled(
  plan: Plan,
  run: RunRecord,
  nodes: readonly NodeRecord[],
  now: string,
  quietSince: string,
): Omit<NodeMessage, 'token'>[] {
  const runId = run.runId;
  if (nodes.length === 0) return plan.roots().map((nodeId) => ({ runId, nodeId }));
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  const messages: Omit<NodeMessage, 'token'>[] = [];
  for (const node of nodes) {
    const { nodeId, status } = node;
    const parents = plan.parents(nodeId);
    const lost =
      (status === 'RUNNING' && node.leaseUntil !== undefined && node.leaseUntil < now) ||
      ((status === 'RETRY_WAIT' || status === 'WAITING') &&
        node.wakeAt !== undefined &&
        node.wakeAt < quietSince) ||
      status === 'READY' ||
      // The run is not paused: a resume that crashed before re-enqueuing its parked nodes.
      status === 'PARKED';
    if (lost) {
      messages.push({ runId, nodeId, ...(node.via ? { via: node.via } : {}) });
    } else if (status === undefined && parents.length > 1) {
      if (node.arrived.length === parents.length) messages.push({ runId, nodeId, via: 'JOIN' });
    } else if (status === undefined) {
      // Only a retry control leaves a root or single-parent node as an item without a status: when
      // its parent has ended, the retry crashed before enqueuing its frontier.
      const parent = parents[0] === undefined ? undefined : byId.get(parents[0]);
      if (parents.length === 0) messages.push({ runId, nodeId });
      else if (parent && TERMINAL_NODE.has(parent.status)) {
        messages.push({ runId, nodeId, via: edgeOutcome(plan, parent, nodeId) });
      }
    }
  }
  return messages;
}
