import { parseDuration } from '../domain/duration.ts';
import { ConflictError, SkeinError } from '../domain/problems.ts';
import { didYouMean } from '../domain/suggest.ts';
import type { NodeRecord, RunRecord, RunStatus } from '../ports/run-store.ts';
import { type EngineContext, TERMINAL_NODE } from './context.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan } from './plan.ts';
import { countSink, edgeOutcome } from './release.ts';
import { getOwnRun } from './run-view.ts';
import { stopRun } from './stop-run.ts';

const RETRYABLE_RUN: readonly RunStatus[] = ['FAILED', 'CANCELLED', 'TIMED_OUT'];

function refuse(action: string, run: RunRecord, hint: string): never {
  throw new ConflictError('RUN_STATE', `cannot ${action} run ${run.runId}: it is ${run.status}; ${hint}`);
}

/** Pauses a running run: nodes picked up from now on are parked; running nodes finish. */
export async function pauseRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  const paused = await cx.runs.updateRun(runId, ['QUEUED', 'RUNNING'], {
    status: 'PAUSED',
    updatedAt: cx.iso(),
  });
  if (!paused) refuse('pause', (await cx.runs.getRun(runId)) ?? run, 'only a RUNNING run can be paused');
  cx.emit({ type: 'run.paused', runId });
  return paused;
}

/** Resumes a paused run and re-enqueues the nodes parked meanwhile. */
export async function resumeRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  const resumed = await cx.runs.updateRun(runId, ['PAUSED'], { status: 'RUNNING', updatedAt: cx.iso() });
  if (!resumed) refuse('resume', (await cx.runs.getRun(runId)) ?? run, 'only a PAUSED run can be resumed');
  cx.emit({ type: 'run.resumed', runId });
  const parked = (await cx.runs.listNodes(runId)).filter((node) => node.status === 'PARKED');
  await cx.enqueue(
    parked.map((node) => ({ runId, nodeId: node.nodeId, epoch: resumed.epoch })),
    await cx.planFor(resumed),
  );
  return resumed;
}

/** Cancels an active run: nothing new starts, pending nodes become CANCELLED, the run ends CANCELLED. */
export async function cancelRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  const cancelled = await stopRun(cx, run, 'CANCELLED');
  if (!cancelled) {
    refuse(
      'cancel',
      (await cx.runs.getRun(runId)) ?? run,
      'only a RUNNING, PAUSED or QUEUED run can be cancelled',
    );
  }
  return cancelled;
}

/**
 * Retries an ended run: the named nodes (or every FAILED or CANCELLED one), everything downstream
 * of them and every node that never ran go back to "not started"; the others keep their state
 * and outputs. The run is RUNNING again (a new epoch of sink counting) and the nodes whose
 * parents are all kept are enqueued. A node's attempts keep counting across retries of the run
 * (its `ctx.attempt` goes on from where it stopped), so a node that spent its `retry.maxAttempts`
 * gets one attempt per retry of the run.
 */
export async function retryRun(
  cx: EngineContext,
  tenant: string,
  runId: string,
  named?: readonly string[],
): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  if (!RETRYABLE_RUN.includes(run.status)) {
    refuse('retry', run, 'only a FAILED, CANCELLED or TIMED_OUT run can be retried');
  }
  const plan = await cx.planFor(run);
  const items = new Map((await cx.runs.listNodes(runId)).map((item) => [item.nodeId, item]));
  await cancelAbandoned(cx, run, items);
  const running = [...items.values()].find((item) => item.status === 'RUNNING');
  if (running) {
    throw new ConflictError(
      'RUN_STATE',
      `cannot retry run ${runId} yet: node "${running.nodeId}" is still running`,
    );
  }
  named?.forEach((id, index) => {
    if (!plan.node(id)) {
      throw new SkeinError(
        'UNKNOWN_NODE',
        `node "${id}" is not in this workflow${didYouMean(id, plan.ids)}`,
        422,
        `$.nodes[${index}]`,
      );
    }
  });
  const seeds =
    named ?? plan.ids.filter((id) => ['FAILED', 'CANCELLED'].includes(items.get(id)?.status ?? ''));
  if (seeds.length === 0) refuse('retry', run, 'no node failed or was cancelled; name the nodes to rerun');
  const reset = downstream(plan, [
    ...seeds,
    ...plan.ids.filter((id) => !TERMINAL_NODE.has(items.get(id)?.status)),
  ]);
  // A failure outside the nodes being rerun would fail the run again at once: refuse instead.
  const untouched = [...items.values()].filter(
    (item) => item.status === 'FAILED' && !reset.has(item.nodeId) && !plan.node(item.nodeId)?.continueOnError,
  );
  if (untouched.length > 0) {
    const ids = untouched.map((item) => `"${item.nodeId}"`).join(', ');
    throw new ConflictError(
      'RUN_STATE',
      `cannot retry run ${runId} with these nodes: ${ids} failed and would stay failed; name ${untouched.length > 1 ? 'them' : 'it'} too, or retry without naming nodes`,
    );
  }
  // The one exclusive step, first: a concurrent retry loses here before it changes anything.
  // QUEUED until the nodes are reset; messages of the old epoch are dropped from now on.
  const epoch = run.epoch + 1;
  const claimed = await cx.runs.updateRun(runId, RETRYABLE_RUN, {
    status: 'QUEUED',
    epoch,
    updatedAt: cx.iso(),
    remove: ['error', 'endedAt', 'failed', 'outputs'],
  });
  if (!claimed) refuse('retry', (await cx.runs.getRun(runId)) ?? run, 'another control changed it first');
  for (const id of reset) {
    const keep = (parents: readonly string[] | undefined) =>
      (parents ?? []).filter((parent) => !reset.has(parent));
    const item = items.get(id);
    await cx.runs.resetNode(
      runId,
      id,
      {
        arrived: keep(item?.arrived),
        failedParents: keep(item?.failedParents),
        skippedParents: keep(item?.skippedParents),
      },
      run.expiresAt,
    );
  }
  for (const id of plan.ids) {
    const slot = plan.sinkSlot(id);
    if (!slot || reset.has(id)) continue;
    await countSink(cx, run, epoch, plan, slot); // a rerun sink is always left, so never "all done"
  }
  const timeoutMs =
    plan.definition.timeout === undefined ? undefined : parseDuration(plan.definition.timeout);
  const restarted = await cx.runs.updateRun(runId, ['QUEUED'], {
    status: 'RUNNING',
    updatedAt: cx.iso(),
    ...(timeoutMs === undefined ? {} : { deadline: cx.iso(cx.now() + timeoutMs) }),
  });
  if (!restarted) return (await cx.runs.getRun(runId)) ?? claimed; // cancelled meanwhile
  cx.emit({ type: 'run.retried', runId });
  const messages = frontier(plan, reset, items, runId).map((message) => ({ ...message, epoch }));
  await cx.enqueue(messages, plan);
  return restarted;
}

/**
 * RUNNING nodes of an ended run whose lease has expired: their worker died, and no message will
 * end them. They become CANCELLED (with a new fence, so a late worker cannot complete them).
 */
async function cancelAbandoned(cx: EngineContext, run: RunRecord, items: Map<string, NodeRecord>) {
  const now = cx.iso();
  for (const item of items.values()) {
    if (item.status !== 'RUNNING' || item.leaseUntil === undefined || item.leaseUntil >= now) continue;
    const cancelled = await cx.runs.updateNode(
      run.runId,
      item.nodeId,
      { status: [], orLeaseExpiredBefore: now },
      {
        set: { status: 'CANCELLED', endedAt: now, reason: 'its worker stopped before the run ended' },
        bumpFence: true,
        remove: ['leaseUntil'],
      },
      run.expiresAt,
    );
    if (cancelled) items.set(item.nodeId, cancelled);
  }
}

/** `ids` and everything downstream of them. */
function downstream(plan: Plan, ids: readonly string[]): Set<string> {
  const found = new Set<string>();
  const stack = [...ids];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (found.has(id)) continue;
    found.add(id);
    stack.push(...plan.children(id));
  }
  return found;
}

/** Reset nodes whose parents are all kept: they can start now. */
function frontier(
  plan: Plan,
  reset: ReadonlySet<string>,
  items: ReadonlyMap<string, NodeRecord>,
  runId: string,
): Omit<NodeMessage, 'token'>[] {
  const messages: Omit<NodeMessage, 'token'>[] = [];
  for (const id of reset) {
    const parents = plan.parents(id);
    if (parents.some((parent) => reset.has(parent))) continue;
    const [only] = parents;
    const parent = only === undefined ? undefined : items.get(only);
    if (parents.length === 0) messages.push({ runId, nodeId: id });
    else if (parents.length > 1) messages.push({ runId, nodeId: id, via: 'JOIN' });
    else if (parent) messages.push({ runId, nodeId: id, via: edgeOutcome(plan, parent, id) });
  }
  return messages;
}
