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

/**
 * `maxConcurrentRuns`: a workflow with a cap lets that many runs hold a slot (RUNNING or PAUSED);
 * a run started beyond it is created QUEUED and joins the workflow's waiting line, ordered by run
 * id, and starts when a slot is given back — by a run that ends, is cancelled or times out — in
 * the order it was started. Slots are a set of run ids (taking and giving back are idempotent),
 * so a crash cannot leak a count; the sweeper gives back the slots of runs that have ended.
 * Workflows without a cap pay nothing.
 */
export const capOf = (plan: Plan): number | undefined => plan.definition.maxConcurrentRuns;

/** Gives back `run`'s slot and starts waiting runs that fit. */
export async function releaseSlot(cx: EngineContext, run: RunRecord, plan: Plan): Promise<void> {
  if (capOf(plan) === undefined) return;
  await cx.runs.releaseSlot(run.tenant, run.workflow, run.runId);
  await promote(cx, run, plan);
}

/**
 * Starts the oldest waiting runs of `like`'s workflow while slots are free: each takes a slot,
 * goes QUEUED → RUNNING (with its deadline from now) and gets its first messages.
 */
export async function promote(
  cx: EngineContext,
  like: Pick<RunRecord, 'tenant' | 'workflow'>,
  plan: Plan,
): Promise<number> {
  const cap = capOf(plan);
  if (cap === undefined) return 0;
  const { tenant, workflow } = like;
  let started = 0;
  for (let round = 0; round < MAX_PROMOTIONS; round += 1) {
    const [next] = await cx.runs.listWaiting(tenant, workflow, 1);
    if (next === undefined) return started;
    const run = await cx.runs.getRun(next);
    if (run?.status !== 'QUEUED' || run.control) {
      await cx.runs.removeWaiting(tenant, workflow, next); // started, cancelled or gone meanwhile
      continue;
    }
    if (!(await cx.runs.acquireSlot(tenant, workflow, next, cap))) return started;
    const runPlan = await cx.planFor(run);
    const timeoutMs =
      runPlan.definition.timeout === undefined ? undefined : parseDuration(runPlan.definition.timeout);
    const now = cx.iso();
    const running = await cx.runs.updateRun(
      next,
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
      // Another promoter started it (the slot is rightly its: taking it was idempotent), or it was
      // cancelled meanwhile (then the slot goes back).
      const now = await cx.runs.getRun(next);
      if (!now || TERMINAL_RUN.includes(now.status)) await cx.runs.releaseSlot(tenant, workflow, next);
      await cx.runs.removeWaiting(tenant, workflow, next);
      continue;
    }
    cx.emit({ type: 'run.dequeued', runId: next });
    await cx.enqueue(await firstMessages(cx, running, runPlan), runPlan);
    await cx.runs.removeWaiting(tenant, workflow, next);
    started += 1;
  }
  return started;
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
 * The sweeper's repair for a workflow with waiting runs: gives back slots held by runs that have
 * ended (or never came to exist: a start that crashed after taking a slot), puts `waiting` back in
 * line if a crash left it out, then starts what fits.
 */
export async function repairSlots(cx: EngineContext, waiting: RunRecord, plan: Plan): Promise<number> {
  const { tenant, workflow } = waiting;
  await cx.runs.addWaiting(tenant, workflow, waiting.runId, waiting.expiresAt);
  for (const holder of await cx.runs.slotHolders(tenant, workflow)) {
    const run = await cx.runs.getRun(holder);
    const ended = run !== undefined && TERMINAL_RUN.includes(run.status);
    if (ended || (run === undefined && ageOf(holder, cx.now()) > MISSING_HOLDER_MS)) {
      await cx.runs.releaseSlot(tenant, workflow, holder);
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
