import { decodeTime } from 'ulid';
import { parseDuration } from '../domain/duration.ts';
import type { NodeRecord, RunRecord } from '../ports/run-store.ts';
import { type EngineContext, TERMINAL_NODE, TERMINAL_RUN } from './context.ts';
import { edgeOutcome } from './edges.ts';
import type { NodeMessage } from './messages.ts';
import type { Plan } from './plan.ts';

/** Waiting runs started per promotion at most (each is a few writes); the sweeper does the rest. */
const MAX_PROMOTIONS = 100;
/** A slot held by a run that does not exist is given back only once the run id is this old. */
const MISSING_HOLDER_MS = 60_000;
/** The slot set and waiting line of a tenant's quota (workflow ids never contain `*`). */
const TENANT_LINE = '*';

/**
 * Caps on active runs (RUNNING or PAUSED): a workflow's `maxConcurrentRuns`, and a tenant's quota
 * (the deployment setting `maxActiveRunsPerTenant`). A run takes a slot of each cap that applies;
 * a run that finds no free slot is created QUEUED and waits in the line of the cap that stopped
 * it, ordered by run id (start order), and starts when slots are given back — by a run that ends,
 * is cancelled or times out. A run let through by one line but stopped by the other moves to the
 * other line. Slots are sets of run ids (taking and giving back are idempotent), so a crash cannot
 * leak a count; the sweeper gives back the slots of runs that have ended. Without caps, runs pay
 * nothing.
 */
const capOf = (plan: Plan): number | undefined => plan.definition.maxConcurrentRuns;

interface Line {
  readonly key: string;
  readonly max: number;
}

/** The caps that apply to a run of `plan`, tenant quota first. */
function linesOf(cx: EngineContext, workflow: string, plan: Plan): Line[] {
  const lines: Line[] = [];
  const quota = cx.settings.maxActiveRunsPerTenant;
  if (quota !== undefined) lines.push({ key: TENANT_LINE, max: quota });
  const cap = capOf(plan);
  if (cap !== undefined) lines.push({ key: workflow, max: cap });
  return lines;
}

export const hasCaps = (cx: EngineContext, plan: Plan): boolean =>
  cx.settings.maxActiveRunsPerTenant !== undefined || capOf(plan) !== undefined;

/**
 * Takes a slot of every cap that applies to the run, or none: the key of the line the run must
 * wait in when a cap is full (its other slots are given back), `undefined` when admitted.
 */
export async function admit(
  cx: EngineContext,
  run: Pick<RunRecord, 'runId' | 'tenant' | 'workflow'>,
  plan: Plan,
): Promise<string | undefined> {
  const taken: Line[] = [];
  for (const line of linesOf(cx, run.workflow, plan)) {
    if (!(await cx.runs.acquireSlot(run.tenant, line.key, run.runId, line.max))) {
      for (const held of taken) await cx.runs.releaseSlot(run.tenant, held.key, run.runId);
      return line.key;
    }
    taken.push(line);
  }
  return undefined;
}

/** Gives back `run`'s slots and starts waiting runs that now fit. */
export async function releaseSlot(cx: EngineContext, run: RunRecord, plan: Plan): Promise<void> {
  const lines = linesOf(cx, run.workflow, plan);
  if (lines.length === 0) return;
  for (const line of lines) await cx.runs.releaseSlot(run.tenant, line.key, run.runId);
  await promote(cx, run, plan);
}

/** Starts what fits from the lines of `like`'s caps (its workflow's, then its tenant's). */
export async function promote(
  cx: EngineContext,
  like: Pick<RunRecord, 'tenant' | 'workflow'>,
  plan: Plan,
): Promise<number> {
  let started = 0;
  for (const line of linesOf(cx, like.workflow, plan).reverse())
    started += await promoteLine(cx, like.tenant, line.key);
  return started;
}

/**
 * Starts the oldest waiting runs of a line while they fit: each takes its slots, goes QUEUED →
 * RUNNING (with its deadline from now) and gets its first messages; one stopped by another cap
 * moves to that cap's line.
 */
async function promoteLine(cx: EngineContext, tenant: string, key: string): Promise<number> {
  let started = 0;
  for (let round = 0; round < MAX_PROMOTIONS; round += 1) {
    const [next] = await cx.runs.listWaiting(tenant, key, 1);
    if (next === undefined) return started;
    const run = await cx.runs.getRun(next);
    if (run?.status !== 'QUEUED' || run.control) {
      await cx.runs.removeWaiting(tenant, key, next); // started, cancelled or gone meanwhile
      continue;
    }
    const plan = await cx.planFor(run);
    const blocked = await admit(cx, run, plan);
    if (blocked === key) return started;
    if (blocked !== undefined) {
      await cx.runs.addWaiting(tenant, blocked, next, run.expiresAt);
      await cx.runs.removeWaiting(tenant, key, next);
      continue;
    }
    if (await startQueued(cx, run, plan)) started += 1;
    await cx.runs.removeWaiting(tenant, key, next);
  }
  return started;
}

/** A run that holds its slots: QUEUED → RUNNING, then its first messages. */
async function startQueued(cx: EngineContext, run: RunRecord, plan: Plan): Promise<boolean> {
  const timeoutMs =
    plan.definition.timeout === undefined ? undefined : parseDuration(plan.definition.timeout);
  const now = cx.iso();
  const running = await cx.runs.updateRun(
    run.runId,
    ['QUEUED'],
    {
      status: 'RUNNING',
      epochStartedAt: now,
      updatedAt: now,
      ...(timeoutMs === undefined ? {} : { deadline: cx.iso(cx.now() + timeoutMs) }),
    },
    { control: 'none' },
  );
  if (!running) {
    // Another promoter started it (the slots are rightly its: taking them was idempotent), or it
    // was cancelled meanwhile (then the slots go back).
    const latest = await cx.runs.getRun(run.runId);
    if (!latest || TERMINAL_RUN.includes(latest.status)) {
      for (const line of linesOf(cx, run.workflow, plan)) {
        await cx.runs.releaseSlot(run.tenant, line.key, run.runId);
      }
    }
    return false;
  }
  cx.emit({ type: 'run.dequeued', runId: run.runId });
  await cx.enqueue(await firstMessages(cx, running, plan), plan);
  return true;
}

/**
 * A waiting run's first messages: its roots in epoch 0; after a retry, the reset nodes whose
 * parents have all ended.
 */
async function firstMessages(cx: EngineContext, run: RunRecord, plan: Plan) {
  if (run.epoch === 0) return plan.roots().map((nodeId) => ({ runId: run.runId, nodeId }));
  const items = new Map((await cx.runs.listNodes(run.runId)).map((item) => [item.nodeId, item]));
  const messages: Omit<NodeMessage, 'token'>[] = [];
  for (const item of items.values()) {
    if ((item.epoch ?? 0) !== run.epoch || item.status !== undefined) continue;
    const message = readyMessage(plan, item, items);
    if (message) messages.push({ runId: run.runId, epoch: run.epoch, ...message });
  }
  return messages;
}

function readyMessage(plan: Plan, item: NodeRecord, items: ReadonlyMap<string, NodeRecord>) {
  const parents = plan.parents(item.nodeId);
  const [only] = parents;
  if (parents.length === 0) return { nodeId: item.nodeId };
  if (parents.length > 1) {
    return item.arrived.length === parents.length ? { nodeId: item.nodeId, via: 'JOIN' as const } : undefined;
  }
  const parent = only === undefined ? undefined : items.get(only);
  if (!parent || !TERMINAL_NODE.has(parent.status)) return undefined;
  return { nodeId: item.nodeId, via: edgeOutcome(plan, parent, item.nodeId) };
}

/**
 * The sweeper's repair for a run left waiting: gives back slots held by runs that have ended (or
 * never came to exist: a start that crashed after taking a slot), puts `waiting` back in a line if
 * a crash left it out of every one, then starts what fits.
 */
export async function repairSlots(cx: EngineContext, waiting: RunRecord, plan: Plan): Promise<number> {
  const { tenant } = waiting;
  const lines = linesOf(cx, waiting.workflow, plan);
  const [first] = lines;
  // No cap applies any more (a quota taken away while the run waited): it starts now.
  if (first === undefined) return (await startQueued(cx, waiting, plan)) ? 1 : 0;
  const queuedIn = await Promise.all(
    lines.map(async (line) => (await cx.runs.listWaiting(tenant, line.key, 1_000)).includes(waiting.runId)),
  );
  if (!queuedIn.includes(true)) await cx.runs.addWaiting(tenant, first.key, waiting.runId, waiting.expiresAt);
  for (const line of lines) {
    for (const holder of await cx.runs.slotHolders(tenant, line.key)) {
      const run = await cx.runs.getRun(holder);
      const ended = run !== undefined && TERMINAL_RUN.includes(run.status);
      if (ended || (run === undefined && ageOf(holder, cx.now()) > MISSING_HOLDER_MS)) {
        await cx.runs.releaseSlot(tenant, line.key, holder);
      }
    }
  }
  return promote(cx, waiting, plan);
}

/** How old a run id is (ULIDs carry their time; other ids count as old). */
function ageOf(runId: string, now: number): number {
  try {
    return now - decodeTime(runId);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
