import { parseDuration } from '../domain/duration.ts';
import { poolNodeTimeMs, poolOf } from '../domain/pool-time.ts';
import { MAX_VISIBILITY_SECONDS } from '../ports/queue.ts';
import type { NodeRecord, NodeStatus, RunRecord } from '../ports/run-store.ts';
import { awaitOutside } from './awaited-end.ts';
import type { BatchReads } from './batch-reads.ts';
import { spawnChild } from './child-spawn.ts';
import { type Claim, evaluate } from './claim.ts';
import { ACTIVE_RUN, type EngineContext, TERMINAL_NODE, TERMINAL_RUN } from './context.ts';
import { sendControl, slicePace } from './control-pace.ts';
import { evaluateCondition } from './evaluate.ts';
import { startLanes } from './map-run.ts';
import { spawnItems } from './map-spawn.ts';
import type { NodeMessage } from './messages.ts';
import { runAttempt } from './node-attempt.ts';
import {
  awaitCompletion,
  concludeLostAttempt,
  DONE,
  finishNode,
  handBack,
  maxAttemptsOf,
  parkClaimed,
  type StepResult,
} from './node-finish.ts';
import { expressionFailed } from './node-result.ts';
import type { Plan } from './plan.ts';
import { afterTerminal } from './release.ts';
import { cancelChild, NOT_STARTED, stopRun } from './stop-run.ts';
import { decideTrigger } from './trigger-rules.ts';

export type { StepResult } from './node-finish.ts';

export interface StepOptions {
  /** How long the worker may still run (Lambda's remaining time); past it the node is handed back. */
  readonly remainingMs?: number;
  /** The batch the message came in: its messages of one run share one read of it (`BatchReads`). */
  readonly reads?: BatchReads;
}

/** A node in these states may be (re)claimed by any message for it. */
const CLAIMABLE: readonly ('ABSENT' | NodeStatus)[] = ['ABSENT', 'READY', 'PARKED'];
/** A retry or wake-up message may arrive up to this early (SQS delays are whole seconds). */
const EARLY_MS = 1_000;

/**
 * One delivery of a node message: check the run, claim the node (a conditional write with a lease
 * and a new fence), decide whether it runs, run one attempt, write the result under the fence, and
 * release what follows. Every write is conditional, so duplicates and redeliveries change nothing.
 */
export async function handleNodeMessage(
  cx: EngineContext,
  message: NodeMessage,
  options: StepOptions = {},
): Promise<StepResult> {
  const read = (runId: string) => cx.runs.getRun(runId);
  let run = await (options.reads ? options.reads.run(message.runId, read) : read(message.runId));
  // A message sent before a retry control restarted the run belongs to the old attempt at it.
  if (!run || (message.epoch ?? 0) !== run.epoch) return DONE;
  const plan = await cx.planFor(run);
  const definition = plan.node(message.nodeId);
  if (!definition) return DONE;
  const now = cx.now();
  if (ACTIVE_RUN.includes(run.status) && run.deadline !== undefined && run.deadline <= cx.iso(now)) {
    // Another worker, the sweeper or a cancel may have ended the run first: read what it is now.
    const stopped = await stopRun(cx, run, 'TIMED_OUT', slicePace(cx, options.remainingMs));
    if (stopped?.control) await sendControl(cx, run.runId, stopped.control);
    run = stopped ?? (await cx.runs.getRun(run.runId)) ?? run;
  }
  if (TERMINAL_RUN.includes(run.status)) return cancelNode(cx, run, message);
  if (run.status === 'PAUSED') return parkNode(cx, run, message);

  const parents = plan.parents(message.nodeId);
  const timeoutMs = nodeTimeoutMs(cx, plan, message.nodeId);
  const singleVia = message.via === 'JOIN' ? undefined : message.via;
  // A lost claim's write returns the node that refused it: no second read.
  const claim = await cx.runs.tryUpdateNode(
    run.runId,
    message.nodeId,
    {
      status: CLAIMABLE,
      orDueBefore: cx.iso(now + EARLY_MS),
      orLeaseExpiredBefore: cx.iso(now),
      // A dead worker's attempt counts: a takeover only while attempts are left.
      takeoverBelowAttempt: maxAttemptsOf(plan, message.nodeId),
      epoch: run.epoch,
      ...(parents.length > 1 ? { arrivedCount: parents.length } : {}),
    },
    {
      set: {
        status: 'RUNNING',
        token: message.token,
        leaseUntil: cx.iso(now + leaseMsOf(cx, plan, message.nodeId, timeoutMs) + cx.settings.leaseGraceMs),
        ...(singleVia ? { via: singleVia } : {}),
      },
      startedAtIfAbsent: cx.iso(now),
      addAttempt: 1,
      bumpFence: true,
      remove: ['readyAt'],
    },
    run.expiresAt,
  );
  if (!claim.applied) return afterLostClaim(cx, run, plan, message, claim.node);
  return runClaimed(cx, { run, plan, node: claim.node, message }, timeoutMs, options);
}

async function runClaimed(cx: EngineContext, claim: Claim, timeoutMs: number, options: StepOptions) {
  const { run, plan, node } = claim;
  const definition = plan.node(node.nodeId);
  if (!definition) return DONE;
  const parents = plan.parents(node.nodeId);
  const via = node.via ?? 'SUCCEEDED';
  const outcomes =
    parents.length === 1
      ? { failed: via === 'FAILED' ? parents : [], skipped: via === 'SKIPPED' ? parents : [] }
      : { failed: node.failedParents, skipped: node.skippedParents };
  const rule = definition.trigger ?? 'all_success';
  const verdict = decideTrigger(rule, parents, outcomes);
  if (!verdict.run) {
    const reason = (await branchNotTaken(cx, claim, outcomes.skipped)) ?? verdict.reason;
    return finishNode(cx, claim, { status: 'SKIPPED', reason, uncounted: true });
  }
  if (run.failed && rule !== 'all_done') {
    const failed = `node "${run.error?.nodeId ?? '?'}" failed, so the run is failing`;
    // A wait that started, or a node waiting to retry, did start: only the rest "did not".
    const started = node.wakeAt !== undefined || node.attempt > 1;
    const reason = started ? `stopped while waiting: ${failed}` : `not started: ${failed}`;
    return finishNode(cx, claim, { status: 'CANCELLED', reason, uncounted: true });
  }
  cx.emit({ type: 'node.started', runId: run.runId, nodeId: node.nodeId, attempt: node.attempt });
  if (definition.when !== undefined) {
    const when = await evaluate(cx, claim, (scope) =>
      evaluateCondition(definition.when ?? '', scope, cx.expressionOptions(), `$.nodes.${node.nodeId}.when`),
    );
    if (!when.ok) {
      const failedWhen = expressionFailed(cx, claim, when.error);
      if (failedWhen.kind === 'park') {
        return parkClaimed(cx, claim, failedWhen.status, failedWhen.wakeAt, failedWhen.error);
      }
      if (failedWhen.kind === 'finish') return finishNode(cx, claim, failedWhen.change);
      return handBack(cx, claim);
    }
    if (!when.value) {
      return finishNode(cx, claim, { status: 'SKIPPED', reason: '`when` is false', uncounted: true });
    }
  }
  const result = await runAttempt(cx, claim, timeoutMs, options.remainingMs);
  if ((result.kind === 'finish' || result.kind === 'park') && outlivedItsChild(claim)) {
    // The node's own deadline ended the wait for its child run: that child is no longer wanted.
    await cancelChild(cx, claim.node.childRunId as string);
  }
  switch (result.kind) {
    case 'finish':
      return finishNode(cx, claim, result.change);
    case 'park':
      return parkClaimed(cx, claim, result.status, result.wakeAt, result.error);
    case 'await':
      if (result.ref !== undefined) return awaitOutside(cx, claim, result.ref, result.until);
      return awaitCompletion(cx, claim, result.until ?? cx.now());
    case 'spawn-run':
      return spawnChild(cx, claim, result.child, result.until);
    case 'spawn-items':
      return spawnItems(cx, claim, result.items, result.maxConcurrency, result.until);
    case 'hand-back':
      return handBack(cx, claim);
  }
}

/**
 * Why a node skipped by its join rule was skipped, when the skipped parent routes (a `condition`)
 * and chose another route: its kind's reason ("branch not taken") rather than "parent was
 * skipped". One read, on the skip path only.
 */
async function branchNotTaken(cx: EngineContext, claim: Claim, skipped: readonly string[]) {
  const { plan, node } = claim;
  const router = skipped.find((id) => plan.kindOf(id)?.routing !== undefined);
  const routing = router === undefined ? undefined : plan.kindOf(router)?.routing;
  if (router === undefined || routing === undefined) return undefined;
  const parent = await cx.runs.getNode(claim.run.runId, router);
  const chosen = routing.chosenRoute(parent?.output);
  if (parent?.status !== 'SUCCEEDED' || chosen === undefined) return undefined;
  return routing.notTakenReason(router, chosen, node.nodeId);
}

/**
 * The claim's condition failed: a duplicate, a redelivery after a crash, or an early message.
 * `node` is the item as the refused claim found it (undefined: no item).
 */
async function afterLostClaim(
  cx: EngineContext,
  run: RunRecord,
  plan: Plan,
  message: NodeMessage,
  node: NodeRecord | undefined,
) {
  const now = cx.iso();
  if (
    node?.status === 'RUNNING' &&
    (node.epoch ?? 0) === run.epoch &&
    node.leaseUntil !== undefined &&
    node.leaseUntil < now &&
    node.attempt >= maxAttemptsOf(plan, node.nodeId)
  ) {
    await concludeLostAttempt(cx, run, plan, node, message);
    return DONE;
  }
  if (!node?.status || node.token !== message.token) return DONE;
  if (TERMINAL_NODE.has(node.status)) {
    await afterTerminal(cx, run, plan, node);
    return DONE;
  }
  if (node.status === 'RUNNING') {
    const leaseLeft = Date.parse(node.leaseUntil ?? '') - cx.now();
    const afterSeconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(leaseLeft / 1000)));
    return { kind: 'retry' as const, afterSeconds };
  }
  if (node.status === 'WAITING' && node.mapRound !== undefined && node.completion === undefined) {
    // The map's items were seeded and the map made to wait, and then the worker stopped.
    await startLanes(cx, run, plan, node);
  }
  if ((node.status === 'RETRY_WAIT' || node.status === 'WAITING') && node.wakeAt) {
    await cx.enqueueAt(
      { runId: run.runId, nodeId: node.nodeId, token: cx.newToken(), epoch: run.epoch },
      Date.parse(node.wakeAt),
      plan,
    );
  }
  return DONE;
}

/** The run has ended: a node that had not started is CANCELLED. */
async function cancelNode(cx: EngineContext, run: RunRecord, message: NodeMessage) {
  await cx.runs.updateNode(
    run.runId,
    message.nodeId,
    // Also a RUNNING node whose worker died (its lease expired): nothing else would end it.
    { status: NOT_STARTED, orLeaseExpiredBefore: cx.iso(), epoch: run.epoch },
    {
      set: {
        status: 'CANCELLED',
        token: message.token,
        endedAt: cx.iso(),
        reason: `the run is ${run.status}`,
      },
      bumpFence: true, // a worker that still holds an expired claim cannot complete it
      remove: ['leaseUntil', 'wakeAt', 'readyAt', 'completionToken', 'completion'],
    },
    run.expiresAt,
  );
  return DONE;
}

/** The run is paused: park the node; a resume re-enqueues it. */
async function parkNode(cx: EngineContext, run: RunRecord, message: NodeMessage): Promise<StepResult> {
  const singleVia = message.via === 'JOIN' ? undefined : message.via;
  const parked = await cx.runs.updateNode(
    run.runId,
    message.nodeId,
    { status: ['ABSENT', 'READY'], orDueBefore: cx.iso(cx.now() + EARLY_MS), epoch: run.epoch },
    {
      set: { status: 'PARKED', token: message.token, ...(singleVia ? { via: singleVia } : {}) },
      remove: ['readyAt'],
    },
    run.expiresAt,
  );
  if (!parked) return DONE;
  cx.emit({ type: 'node.parked', runId: run.runId, nodeId: message.nodeId });
  // A resume may have listed the parked nodes just before this write: look again.
  const now = await cx.runs.getRun(run.runId);
  if (now && now.status !== 'PAUSED') {
    await cx.enqueue([{ runId: run.runId, nodeId: message.nodeId, epoch: run.epoch }], await cx.planFor(run));
  }
  return DONE;
}

/**
 * The node's timeout: its own, else the definition's default, else the engine's, cut to what its
 * pool's worker can run when the deployment says (`poolTimeoutsMs`).
 */
export function nodeTimeoutMs(cx: EngineContext, plan: Plan, nodeId: string): number {
  const node = plan.node(nodeId);
  const given = node?.timeout ?? plan.definition.defaults?.timeout;
  const parsed = given === undefined ? undefined : parseDuration(given);
  if (parsed !== undefined) return parsed;
  const pools = cx.settings.poolTimeoutsMs;
  const poolLimit = pools && poolNodeTimeMs(poolOf(node?.pool, pools), pools);
  return Math.min(cx.settings.defaultNodeTimeoutMs, poolLimit ?? Number.POSITIVE_INFINITY);
}

/**
 * How long a claim holds the node: its timeout, except for a kind that `startsOnce` (it starts
 * outside work, then waits holding no worker, so its `timeout` is the wait's): the engine's
 * default, so a worker that dies while starting is taken over in minutes, not after the wait.
 */
function leaseMsOf(cx: EngineContext, plan: Plan, nodeId: string, timeoutMs: number): number {
  return plan.kindOf(nodeId)?.startsOnce ? Math.min(timeoutMs, cx.settings.defaultNodeTimeoutMs) : timeoutMs;
}

/** A node that waited for a child run and was woken by its deadline, not by the child's end. */
function outlivedItsChild(claim: Claim): boolean {
  return claim.node.childRunId !== undefined && claim.node.completion === undefined;
}
