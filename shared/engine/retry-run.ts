import { parseDuration } from '../domain/duration.ts';
import { parseItemId } from '../domain/map-items.ts';
import { ConflictError, SkeinError } from '../domain/problems.ts';
import { didYouMean } from '../domain/suggest.ts';
import type { NodeRecord, Outcome, RunControl, RunRecord, RunStatus } from '../ports/run-store.ts';
import { admit, hasCaps, promote } from './concurrency.ts';
import { type EngineContext, TERMINAL_NODE } from './context.ts';
import { type ControlProgress, type Pace, refOf, writePaced } from './control-pace.ts';
import { edgeOutcome } from './edges.ts';
import { finishRun } from './finish-run.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan } from './plan.ts';
import { activeExpiry } from './retention.ts';

export const RETRYABLE_RUN: readonly RunStatus[] = ['FAILED', 'CANCELLED', 'TIMED_OUT'];
/** Nodes a retry may name: the list is kept on the run item while the retry is pending. */
export const MAX_NAMED_NODES = 1_000;

/**
 * Decides a retry of an ended run and claims it: the run goes QUEUED in a new epoch with a
 * pending retry control that names what to rerun. From then on messages of the old epoch are
 * dropped and node writes decided in it fail their epoch condition. `continueRetry` then does
 * the work; the caller runs it at once or in the background. Throws a ConflictError (409) when
 * the run cannot be retried as asked.
 */
export async function claimRetry(
  cx: EngineContext,
  run: RunRecord,
  named: readonly string[] | undefined,
): Promise<RunRecord & { readonly control: RunControl }> {
  if (!RETRYABLE_RUN.includes(run.status)) {
    refuse(run, 'only a FAILED, CANCELLED or TIMED_OUT run can be retried');
  }
  const plan = await cx.planFor(run);
  named?.forEach((id, index) => {
    const item = parseItemId(id);
    if (item) {
      throw new SkeinError(
        'UNKNOWN_NODE',
        `"${id}" is an item of map "${item.mapId}": retry the map node, which runs again the items that did not succeed`,
        'unprocessable',
        `$.nodes[${index}]`,
      );
    }
    if (!plan.node(id)) {
      throw new SkeinError(
        'UNKNOWN_NODE',
        `node "${id}" is not in this workflow${didYouMean(id, plan.ids)}`,
        'unprocessable',
        `$.nodes[${index}]`,
      );
    }
  });
  if ((named?.length ?? 0) > MAX_NAMED_NODES) {
    throw new SkeinError('SCHEMA', `name at most ${MAX_NAMED_NODES} nodes`, 'unprocessable', '$.nodes');
  }
  const items = await itemsOf(cx, run);
  await cancelAbandoned(cx, run, items);
  const running = [...items.values()].find((item) => item.status === 'RUNNING');
  if (running) {
    throw new ConflictError(
      'RUN_STATE',
      `cannot retry run ${run.runId} yet: node "${running.nodeId}" is still running`,
    );
  }
  const reset = resetSet(plan, items, named);
  // A run cancelled (or timed out) while its last nodes finished has nothing to rerun: its retry
  // just ends it. A FAILED one has nothing to fix that way.
  if (reset.size === 0 && run.status === 'FAILED') {
    refuse(run, 'no node failed or was cancelled; name the nodes to rerun');
  }
  // A failure outside the nodes being rerun would fail the run again at once: refuse instead.
  const untouched = [...items.values()].filter(
    (item) => item.status === 'FAILED' && !reset.has(item.nodeId) && !plan.node(item.nodeId)?.continueOnError,
  );
  if (untouched.length > 0) {
    const ids = untouched.map((item) => `"${item.nodeId}"`).join(', ');
    throw new ConflictError(
      'RUN_STATE',
      `cannot retry run ${run.runId} with these nodes: ${ids} failed and would stay failed; name ${untouched.length > 1 ? 'them' : 'it'} too, or retry without naming nodes`,
    );
  }
  const epoch = run.epoch + 1;
  const control: RunControl = {
    action: 'retry',
    epoch,
    since: cx.iso(),
    total: reset.size,
    done: 0,
    ...(named ? { nodes: [...named] } : {}),
  };
  // The one exclusive step: a concurrent retry or cancel loses here before it changes anything.
  const claimed = await cx.runs.updateRun(
    run.runId,
    RETRYABLE_RUN,
    {
      status: 'QUEUED',
      epoch,
      control,
      // Active again: kept as long as a new run would be, then its retention from its new end.
      expiresAt: activeExpiry(cx, plan.definition),
      updatedAt: cx.iso(),
      remove: ['error', 'endedAt', 'failed', 'outputs'],
    },
    { control: 'none' },
  );
  if (!claimed?.control) refuse((await cx.runs.getRun(run.runId)) ?? run, 'another control changed it first');
  cx.emit({ type: 'run.retrying', runId: run.runId });
  return claimed as RunRecord & { readonly control: RunControl };
}

/**
 * Does a claimed retry's work, resumable at any point: resets the nodes to rerun into the new
 * epoch (those not reset yet, in parallel batches within `pace`), counts the sinks it keeps in the
 * new epoch's done-sets, restarts the run (RUNNING, control cleared) and enqueues the nodes whose
 * parents are all kept. Which nodes to reset is derived again on every call from the node items
 * and the named nodes: a reset node has no status, so it stays in the set, and a node not reset
 * yet still holds the state that put it there.
 */
export async function continueRetry(cx: EngineContext, run: RunRecord, pace: Pace): Promise<ControlProgress> {
  const control = run.control;
  if (run.status !== 'QUEUED' || control?.action !== 'retry' || control.epoch !== run.epoch) return 'gone';
  const plan = await cx.planFor(run);
  const items = await itemsOf(cx, run);
  await cancelAbandoned(cx, run, items);
  // A node still RUNNING with a live lease was claimed before the retry: wait for it to end.
  if ([...items.values()].some((item) => item.status === 'RUNNING')) return 'wait';
  const reset = resetSet(plan, items, control.nodes);
  const todo = [...reset].filter((id) => (items.get(id)?.epoch ?? 0) < control.epoch);
  const retrying = { ...run, control: { ...control, total: reset.size } };
  const { outcome } = await writePaced(cx, retrying, 'QUEUED', todo, reset.size - todo.length, pace, (id) =>
    cx.runs.resetNode(run.runId, id, keptArrivals(plan, reset, items, id), run.expiresAt, control.epoch),
  );
  if (outcome !== 'done') return outcome;
  await countKeptSinks(cx, run, plan, reset);
  const blocked = hasCaps(cx, plan) ? await admit(cx, run, plan) : undefined;
  if (blocked !== undefined) {
    // A cap is full: the reset run waits in that cap's line, QUEUED, like a new one.
    const queued = await cx.runs.updateRun(
      run.runId,
      ['QUEUED'],
      { status: 'QUEUED', remove: ['control'], updatedAt: cx.iso() },
      { control: refOf(control) },
    );
    if (!queued) return 'gone';
    await cx.runs.addWaiting(run.tenant, blocked, run.runId, run.expiresAt);
    await promote(cx, run, plan);
    return 'done';
  }
  const timeoutMs =
    plan.definition.timeout === undefined ? undefined : parseDuration(plan.definition.timeout);
  const now = cx.iso();
  const restarted = await cx.runs.updateRun(
    run.runId,
    ['QUEUED'],
    {
      status: 'RUNNING',
      epochStartedAt: now,
      updatedAt: now,
      remove: ['control'],
      ...(timeoutMs === undefined ? {} : { deadline: cx.iso(cx.now() + timeoutMs) }),
    },
    { control: refOf(control) },
  );
  if (!restarted) return 'gone';
  cx.emit({ type: 'run.retried', runId: run.runId });
  // Every node had ended (a stop that raced the last nodes): the run ends now.
  if (reset.size === 0) await finishRun(cx, run.runId, plan);
  const messages = frontier(plan, reset, items, run.runId).map((message) => ({
    ...message,
    epoch: control.epoch,
  }));
  await cx.enqueue(messages, plan);
  return 'done';
}

function refuse(run: RunRecord, hint: string): never {
  throw new ConflictError('RUN_STATE', `cannot retry run ${run.runId}: it is ${run.status}; ${hint}`);
}

async function itemsOf(cx: EngineContext, run: RunRecord) {
  return new Map((await cx.runs.listNodes(run.runId)).map((item) => [item.nodeId, item]));
}

/**
 * The nodes a retry resets: the named ones (or every FAILED one), every CANCELLED one and every
 * node that has not ended (no item, no status: what the run view shows CANCELLED for a stopped
 * run) — work that never ran is always rerun, or the run could end SUCCEEDED without it — and
 * everything downstream of them.
 */
function resetSet(
  plan: Plan,
  items: ReadonlyMap<string, NodeRecord>,
  named: readonly string[] | undefined,
): Set<string> {
  const cancelled = plan.ids.filter((id) => items.get(id)?.status === 'CANCELLED');
  const failed = plan.ids.filter((id) => items.get(id)?.status === 'FAILED');
  const seeds = [...(named ?? failed), ...cancelled];
  const open = plan.ids.filter((id) => !TERMINAL_NODE.has(items.get(id)?.status));
  const found = new Set<string>();
  const stack = [...seeds, ...open];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (found.has(id)) continue;
    found.add(id);
    stack.push(...plan.children(id));
  }
  return found;
}

/**
 * The arrivals a reset node starts the new epoch with: every parent that is kept (it has ended
 * and will not run again), with the outcome it passes down. Derived from the plan and the kept
 * parents' states, not from the node's own arrival sets, so an arrival that was lost or is still
 * on its way from the old epoch makes no difference.
 */
function keptArrivals(
  plan: Plan,
  reset: ReadonlySet<string>,
  items: ReadonlyMap<string, NodeRecord>,
  id: string,
): Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'> {
  const arrived: string[] = [];
  const failedParents: string[] = [];
  const skippedParents: string[] = [];
  for (const parentId of plan.parents(id)) {
    const parent = items.get(parentId);
    if (reset.has(parentId) || !parent) continue;
    const outcome: Outcome = edgeOutcome(plan, parent, id);
    arrived.push(parentId);
    if (outcome === 'FAILED') failedParents.push(parentId);
    if (outcome === 'SKIPPED') skippedParents.push(parentId);
  }
  return { arrived, failedParents, skippedParents };
}

/** The kept sinks, counted in the new epoch: one write per done-set shard, not per sink. */
async function countKeptSinks(cx: EngineContext, run: RunRecord, plan: Plan, reset: ReadonlySet<string>) {
  const byShard = new Map<number, { members: number[]; shardSize: number }>();
  for (const id of plan.ids) {
    const slot = plan.sinkSlot(id);
    if (!slot || reset.has(id)) continue;
    const shard = byShard.get(slot.shard) ?? { members: [], shardSize: slot.shardSize };
    shard.members.push(slot.member);
    byShard.set(slot.shard, shard);
  }
  for (const [shard, { members, shardSize }] of byShard) {
    const size = await cx.runs.addDoneAll(run.runId, `${run.epoch}#${shard}`, members, run.expiresAt);
    if (size >= shardSize && plan.shardCount > 1) {
      await cx.runs.addDone(run.runId, `${run.epoch}#top`, shard, run.expiresAt);
    }
  }
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
      { status: [], orLeaseExpiredBefore: now, epoch: item.epoch ?? 0 },
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
