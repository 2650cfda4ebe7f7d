import { SkeinError } from '../domain/problems.ts';
import type { NodeRecord, Outcome, RunRecord, SweepPosition } from '../ports/run-store.ts';
import { recoverChildEnds } from './child-end.ts';
import { reapOrphan } from './child-orphans.ts';
import { repairSlots } from './concurrency.ts';
import { type EngineContext, TERMINAL_NODE } from './context.ts';
import { sendControl, slicePace } from './control-pace.ts';
import { edgeOutcome } from './edges.ts';
import { finishRun } from './finish-run.ts';
import { recoverItems } from './map-run.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan } from './plan.ts';
import { continueControl } from './run-controls.ts';
import { stopRun } from './stop-run.ts';

export interface SweepReport {
  /** Present when another sweep held the lease: this one did nothing (sweeps never overlap). */
  readonly skipped?: true;
  readonly runsChecked: number;
  readonly timedOut: number;
  /** Node messages sent again: expired leases, overdue wake-ups, lost messages. */
  readonly requeued: number;
  /** Lost arrivals at joins written again (a parent's release that never reached its child). */
  readonly released: number;
  /** Pending controls (cancel, time-out, retry) the sweep went on with. */
  readonly controls: number;
  /** Runs whose sweep failed (a store error); the next sweep tries them again. */
  readonly errors: number;
  /** Present when the time budget ran out before every active run was seen: the next sweep goes on from there. */
  readonly cutShort?: true;
}

export interface SweepOptions {
  /** Only runs whose last change is older than this are inspected node by node. @default 60_000 */
  readonly quietMs?: number;
  /**
   * No new page of runs is started after this long; the next sweep goes on where this one
   * stopped. @default 30_000 (a 60 s Lambda: one page in flight and a control slice still fit)
   */
  readonly budgetMs?: number;
  /** The caller's own time left (a Lambda's `getRemainingTimeInMillis()`), which caps the budget. */
  readonly remainingMs?: number;
}

/**
 * Node items a run may have for the sweeper to read them every round (a round: one pass over the
 * active runs, a minute while they fit in one sweep). A larger run is read once every
 * `ceil(nodes / NODES_PER_ROUND)` rounds, at most MAX_ROUNDS_BETWEEN_READS, so a 10,000-node run
 * costs the sweeper about as much a minute as a 1,000-node one; its stalls wait longer to be
 * found, which for a lost message (`lostMessageMs`, 10 minutes) changes little.
 */
const NODES_PER_ROUND = 1_000;
const MAX_ROUNDS_BETWEEN_READS = 10;
/** Runs per page of the active listing; the lease records the cursor after each page. */
const PAGE_SIZE = 50;
/** Runs swept at once: on DynamoDB a quiet run is a query or two, so latency, not work, bounds a sweep. */
const SWEEP_CONCURRENCY = 10;
const DEFAULT_BUDGET_MS = 30_000;
/** Kept from `remainingMs`: the last page's runs and the lease's release happen after the budget. */
const REMAINING_MARGIN_MS = 20_000;
/** A lease outlives its sweep's budget by this much: a crashed sweep blocks the next one at most this long. */
const LEASE_GRACE_MS = 30_000;

/**
 * The safety net behind SQS redelivery, run every minute: goes on with controls that stopped
 * (a crashed or cut-off cancel or retry), times out active runs past their deadline and, for
 * active runs quiet for a while, re-enqueues nodes that should be moving: RUNNING with an expired
 * lease, RETRY_WAIT/WAITING past their wake-up, PARKED in a running run (a resume that crashed).
 * Nodes whose message should have come (roots, released children, complete joins, READY nodes)
 * are re-sent only when the run has shown no activity for `lostMessageMs` (doubled per re-send),
 * each marked READY first, so a backlog that merely delays messages is not multiplied. Duplicates
 * are harmless: claims are conditional. Reads O(run) per inspected run, never per node.
 *
 * One sweep at a time: a sweep takes the store's sweeper lease first and returns at once
 * (`skipped`) while another holds it. A sweep stops starting pages after `budgetMs` and records
 * where it got to in the lease; the next one goes on from there, to the end of the listing and
 * round from its start to where it began, so every active run is seen within a bounded number of
 * sweeps however many there are (see "Sweeper" in shared/ARCHITECTURE.md for the figures).
 */
export async function sweep(cx: EngineContext, options: SweepOptions = {}): Promise<SweepReport> {
  const quietMs = options.quietMs ?? 60_000;
  const started = cx.now();
  const room = (options.remainingMs ?? Number.POSITIVE_INFINITY) - REMAINING_MARGIN_MS;
  const until = started + Math.max(0, Math.min(options.budgetMs ?? DEFAULT_BUDGET_MS, room));
  const report: { -readonly [K in keyof SweepReport]: SweepReport[K] } = {
    runsChecked: 0,
    timedOut: 0,
    requeued: 0,
    released: 0,
    controls: 0,
    errors: 0,
  };
  const holder = cx.deps.ids.newId();
  const lease = await cx.runs.takeSweepLease(holder, started, until + LEASE_GRACE_MS);
  if (!lease) return { ...report, skipped: true };
  let { cursor, round } = lease;
  // A sweep that starts part-way goes round to where it began: `seen` tells it when it got there.
  let roundDone = cursor === undefined;
  const seen = new Set<string>();
  try {
    for (;;) {
      if (cx.now() >= until) {
        report.cutShort = true;
        return report;
      }
      const page = await activePage(cx, cursor);
      if (page === 'restart') {
        cursor = undefined;
        roundDone = true;
        continue;
      }
      const fresh = page.items.filter((run) => !seen.has(run.runId));
      for (const run of fresh) seen.add(run.runId);
      await inTurns(fresh, SWEEP_CONCURRENCY, async (run) => {
        report.runsChecked += 1;
        try {
          const swept = await sweepRun(cx, run, { quietMs, until, round });
          report.timedOut += swept.timedOut;
          report.requeued += swept.requeued;
          report.released += swept.released;
          report.controls += swept.controls;
        } catch {
          report.errors += 1; // one broken run must not stop the sweep of the others
        }
      });
      cursor = page.cursor;
      if (fresh.length < page.items.length) return report; // came round to where it began
      if (cursor === undefined) {
        round += 1;
        if (roundDone) return report;
        roundDone = true;
      }
      // Progress is kept page by page, and a sweep whose lease was taken over stops here.
      if (!(await cx.runs.saveSweepLease(holder, positionOf(cursor, round), false))) return report;
    }
  } finally {
    // A failed release (the store is down) leaves the lease to lapse at its expiry.
    await cx.runs.saveSweepLease(holder, positionOf(cursor, round), true).catch(() => false);
  }
}

const positionOf = (cursor: string | undefined, round: number): SweepPosition =>
  cursor === undefined ? { round } : { cursor, round };

/** A page of active runs, or `restart` when the stored cursor is no longer valid (a new format). */
async function activePage(cx: EngineContext, cursor: string | undefined) {
  try {
    return await cx.runs.listActiveRuns({ limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
  } catch (error) {
    if (cursor !== undefined && error instanceof SkeinError && error.code === 'INVALID_CURSOR')
      return 'restart';
    throw error;
  }
}

/** Calls `work` on every item, at most `concurrency` at a time. */
async function inTurns<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

interface SweepRunOptions {
  readonly quietMs: number;
  /** The sweep's budget ends here (epoch ms). */
  readonly until: number;
  readonly round: number;
}

async function sweepRun(cx: EngineContext, run: RunRecord, { quietMs, until, round }: SweepRunOptions) {
  const swept = { timedOut: 0, requeued: 0, released: 0, controls: 0 };
  const now = cx.now();
  // A control's slice ends with the sweep's budget; a control message carries on from there.
  const slice = slicePace(cx, Math.max(0, until - now) + cx.settings.handBackMarginMs);
  if (run.control) {
    if (Date.parse(run.updatedAt) > now - quietMs) return swept; // being worked on
    swept.controls = 1;
    if ((await continueControl(cx, run, slice)) === 'more') await sendControl(cx, run.runId, run.control);
    return swept;
  }
  if (run.deadline !== undefined && run.deadline <= cx.iso(now)) {
    const stopped = await stopRun(cx, run, 'TIMED_OUT', slice);
    if (stopped) swept.timedOut = 1;
    if (stopped?.control) await sendControl(cx, run.runId, stopped.control);
    return swept;
  }
  if (Date.parse(run.updatedAt) > now - quietMs) return swept;
  if (run.status === 'QUEUED') {
    // Waiting for a slot of its workflow: give back slots of ended runs, start what fits.
    swept.requeued += await repairSlots(cx, run, await cx.planFor(run));
    return swept;
  }
  if (run.status !== 'RUNNING') return swept;
  // Its workers recorded progress lately: it is moving, and SQS redelivers a dead worker's node.
  const moving = now - cx.settings.progressEveryMs - quietMs;
  if (run.progressAt !== undefined && Date.parse(run.progressAt) > moving) return swept;
  // A child run whose parent stopped waiting for it (a crash between the two stops) is cancelled.
  if (run.parent !== undefined && (await reapOrphan(cx, run))) {
    swept.controls = 1;
    return swept;
  }
  const plan = await cx.planFor(run);
  if (!dueForNodeReads(run.runId, plan.ids.length, round)) return swept;
  // Half-price reads: every action below is a conditional write or a message a claim checks, and
  // ending the run reads again, consistently.
  const nodes = await cx.runs.listNodes(run.runId, { consistent: false });
  const stalledMessages = stalled(run, nodes, cx.iso(now), cx.iso(now - quietMs));
  await cx.enqueue(stalledMessages, plan);
  swept.requeued = stalledMessages.length;
  const lost = await resendLost(cx, run, plan, nodes);
  swept.requeued += lost.resent;
  // A `workflow` node whose child ended while the notification was lost (a crash in between).
  swept.requeued += await recoverChildEnds(cx, run, nodes);
  // A map's item whose message was lost, or whose lane's end was not counted.
  swept.requeued += await recoverItems(cx, run, plan, nodes, cx.iso(now - quietMs));
  swept.released = lost.arrivals;
  await finishIfDone(cx, run, plan, nodes);
  return swept;
}

/** Whether a run of `nodeCount` nodes is read node by node in `round` (large runs: every few rounds, spread by id). */
function dueForNodeReads(runId: string, nodeCount: number, round: number): boolean {
  const every = Math.min(MAX_ROUNDS_BETWEEN_READS, Math.max(1, Math.ceil(nodeCount / NODES_PER_ROUND)));
  if (every === 1) return true;
  let hash = 0x811c9dc5; // FNV-1a: the same phase in every process
  for (let i = 0; i < runId.length; i++) hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193);
  return ((hash >>> 0) + round) % every === 0;
}

/** Nodes whose own state says a message is overdue: expired leases, wake-ups, parked nodes. */
function stalled(run: RunRecord, nodes: readonly NodeRecord[], now: string, quietSince: string) {
  const messages: Omit<NodeMessage, 'token'>[] = [];
  for (const node of nodes) {
    if ((node.epoch ?? 0) !== run.epoch) continue;
    const { status } = node;
    const overdue =
      (status === 'RUNNING' && node.leaseUntil !== undefined && node.leaseUntil < now) ||
      ((status === 'RETRY_WAIT' || status === 'WAITING') &&
        node.wakeAt !== undefined &&
        node.wakeAt < quietSince) ||
      // The run is running and quiet: a resume that crashed before re-enqueuing its parked nodes.
      status === 'PARKED';
    if (overdue) {
      messages.push({ runId: run.runId, nodeId: node.nodeId, epoch: run.epoch, ...viaOf(node) });
    }
  }
  return messages;
}

/**
 * Re-sends what a lost message leaves waiting forever: a root, a released single-parent child or
 * a complete join without a status, or a READY node, once the run has been inactive for
 * `lostMessageMs × 2^resends`. A join missing the arrival of a finished parent gets it (the
 * parent's release crashed and its message is gone). Each re-send first marks the node READY
 * with the time and count, which both proves the node still waits (conditional write) and makes
 * the next re-send wait longer.
 */
async function resendLost(cx: EngineContext, run: RunRecord, plan: Plan, nodes: readonly NodeRecord[]) {
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  const now = cx.now();
  const idle = now - lastActivity(run, nodes);
  const result = { resent: 0, arrivals: 0 };
  if (idle < cx.settings.lostMessageMs) return result;
  const candidates: { nodeId: string; via?: Outcome | 'JOIN'; node?: NodeRecord }[] = [];
  for (const nodeId of plan.ids) {
    let node = byId.get(nodeId);
    // In a later epoch every node that can run has an item (the retry's reset wrote it).
    if (node ? (node.epoch ?? 0) !== run.epoch : run.epoch !== 0) continue;
    if (node?.status !== undefined && node.status !== 'READY') continue;
    if (
      (node?.resends ?? 0) > 0 &&
      idle < cx.settings.lostMessageMs * 2 ** Math.min(node?.resends ?? 0, 10)
    ) {
      continue;
    }
    const parents = plan.parents(nodeId);
    const [only] = parents;
    if (parents.length === 0) candidates.push({ nodeId, ...(node ? { node } : {}) });
    else if (parents.length === 1 && only !== undefined) {
      const parent = byId.get(only);
      if (node?.status === 'READY' || (parent && TERMINAL_NODE.has(parent.status))) {
        const via = node?.via ?? (parent ? edgeOutcome(plan, parent, nodeId) : undefined);
        candidates.push({ nodeId, ...(via ? { via } : {}), ...(node ? { node } : {}) });
      }
    } else {
      for (const parentId of parents) {
        const parent = byId.get(parentId);
        if (!parent || !TERMINAL_NODE.has(parent.status) || node?.arrived.includes(parentId)) continue;
        const outcome = edgeOutcome(plan, parent, nodeId);
        const arrival = await cx.runs.arrive(run.runId, nodeId, parentId, outcome, run.expiresAt, run.epoch);
        if (arrival.applied) result.arrivals += 1;
        node = arrival.node;
      }
      if (node && node.arrived.length === parents.length) candidates.push({ nodeId, via: 'JOIN', node });
    }
  }
  const nowIso = cx.iso(now);
  const messages: Omit<NodeMessage, 'token'>[] = [];
  for (const { nodeId, via, node } of candidates) {
    const single = via === 'JOIN' ? undefined : via;
    const marked = await cx.runs.updateNode(
      run.runId,
      nodeId,
      { status: [node?.status ?? 'ABSENT'], epoch: run.epoch, ...(node ? { fence: node.fence } : {}) },
      {
        set: {
          status: 'READY',
          readyAt: nowIso,
          resends: (node?.resends ?? 0) + 1,
          ...(single ? { via: single } : {}),
        },
      },
      run.expiresAt,
    );
    if (marked) messages.push({ runId: run.runId, nodeId, epoch: run.epoch, ...(via ? { via } : {}) });
  }
  await cx.enqueue(messages, plan);
  result.resent = messages.length;
  return result;
}

/** The latest sign of life of a run: its epoch's start, its last change, any node's last step. */
function lastActivity(run: RunRecord, nodes: readonly NodeRecord[]): number {
  let latest = Math.max(Date.parse(run.updatedAt), Date.parse(run.epochStartedAt ?? run.createdAt));
  for (const node of nodes) {
    for (const time of [node.startedAt, node.endedAt, node.readyAt]) {
      if (time !== undefined) latest = Math.max(latest, Date.parse(time));
    }
  }
  return latest;
}

/**
 * Ends a run whose sinks have all ended although no sink count ended it (its last message was
 * lost), recording first the failures a dead worker did not record.
 */
async function finishIfDone(cx: EngineContext, run: RunRecord, plan: Plan, seen: readonly NodeRecord[]) {
  const sinks = plan.ids.filter((id) => plan.sinkSlot(id) !== undefined);
  const ended = (nodes: readonly NodeRecord[]) => {
    const byId = new Map(nodes.map((node) => [node.nodeId, node]));
    return sinks.every((id) => TERMINAL_NODE.has(byId.get(id)?.status));
  };
  if (!ended(seen)) return;
  // `seen` may lag by a moment: the failures recorded below come from a consistent read.
  const nodes = await cx.runs.listNodes(run.runId);
  if (!ended(nodes)) return;
  for (const node of nodes) {
    if (node.status === 'FAILED' && !plan.node(node.nodeId)?.continueOnError) {
      const error = node.error ?? { code: 'FAILED', message: `node "${node.nodeId}" failed` };
      await cx.runs.recordFailure(run.runId, { ...error, nodeId: node.nodeId }, cx.iso());
    }
  }
  await finishRun(cx, run.runId, plan);
}

function viaOf(node: NodeRecord): { via?: Outcome } {
  return node.via ? { via: node.via } : {};
}
