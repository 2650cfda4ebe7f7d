import { effectiveRetryPolicy } from '../domain/retry-policy.ts';
import { messageOf } from '../ports/executor.ts';
import { ItemTooLargeError, type NodeChange, type NodeRecord, type RunRecord } from '../ports/run-store.ts';
import { boundedError, MAX_REASON_BYTES, truncateBytes } from './bounds.ts';
import type { Claim, FinishChange } from './claim.ts';
import { hashToken } from './completion-token.ts';
import type { EngineContext } from './context.ts';
import type { NodeMessage } from './messages.ts';
import { wokeFromCompletion } from './node-result.ts';
import type { Plan } from './plan.ts';
import { afterTerminal } from './release.ts';

/** `done`: delete the message. `retry`: hand it back to the queue for redelivery after a while. */
export type StepResult =
  | { readonly kind: 'done' }
  /** Not a Skein message (it is dropped: the caller logs and deletes it). */
  | { readonly kind: 'dropped'; readonly reason: string }
  | { readonly kind: 'retry'; readonly afterSeconds: number };

export const DONE: StepResult = { kind: 'done' };

/**
 * Writes the node's terminal state under its fence, then releases what follows. Every value is
 * bounded first (error code and message, reason); a result the store still cannot hold (an item
 * over its size limit) ends the node FAILED with a small SAVE_FAILED error instead, and is logged:
 * a node never stays RUNNING because its result was too big to store.
 */
export async function finishNode(cx: EngineContext, claim: Claim, change: FinishChange): Promise<StepResult> {
  const { run, plan, node, message } = claim;
  const error = change.error && boundedError(change.error);
  const reason = change.reason && truncateBytes(change.reason, MAX_REASON_BYTES);
  // The claim that woke a suspended node (a wait, a callback) counted an attempt, but resuming is not one.
  const woken =
    (plan.kindOf(node.nodeId)?.suspends === true && node.wakeAt !== undefined) || wokeFromCompletion(node);
  const write = (status: FinishChange['status'], fields: Partial<FinishChange>): NodeChange => ({
    set: {
      status,
      token: message.token,
      endedAt: cx.iso(),
      ...(fields.output !== undefined ? { output: fields.output } : {}),
      ...(fields.error ? { error: fields.error } : {}),
      ...(fields.reason ? { reason: fields.reason } : {}),
    },
    // The token's hash stays: a late completion is told the node already ended (409).
    remove: [
      'leaseUntil',
      'wakeAt',
      'completionToken',
      'completion',
      'spawnKey',
      'mapRound',
      ...(fields.error ? [] : (['error'] as const)),
    ],
    ...(woken || change.uncounted ? { addAttempt: -1 } : {}),
  });
  const saved = await saveOrFail(cx, claim, write(change.status, { ...change, error, reason }), (failure) =>
    write('FAILED', { error: failure }),
  );
  if (!saved) return DONE; // the lease was taken over: the other worker's result counts
  const { node: written, failure } = saved;
  const status = failure ? 'FAILED' : change.status;
  const shown = failure ?? error;
  cx.emit({
    type: `node.${status.toLowerCase()}` as 'node.succeeded',
    runId: run.runId,
    nodeId: node.nodeId,
    attempt: written.attempt,
    ...(shown ? { error: shown } : {}),
    ...(reason && !failure ? { reason } : {}),
  });
  await noteProgress(cx, run);
  await afterTerminal(cx, run, plan, written);
  return DONE;
}

/**
 * Records that the run moved, when what the worker read of it says the last record is older than
 * `progressEveryMs`: about one write per run per interval while it is busy, none for a run that
 * ends within it. The sweeper leaves a run that moved recently alone instead of reading its nodes.
 */
async function noteProgress(cx: EngineContext, run: RunRecord): Promise<void> {
  const every = cx.settings.progressEveryMs;
  const now = cx.now();
  if (run.progressAt !== undefined && Date.parse(run.progressAt) > now - every) return;
  await cx.runs.markProgress(run.runId, cx.iso(now), cx.iso(now - every));
}

/** RETRY_WAIT or WAITING until `wakeAt`, then a message wakes the node. */
export async function parkClaimed(
  cx: EngineContext,
  claim: Claim,
  status: 'RETRY_WAIT' | 'WAITING',
  wakeAt: number,
  rawError?: { code: string; message: string },
): Promise<StepResult> {
  const { run, node, message } = claim;
  const error = rawError && boundedError(rawError);
  // A callback whose completion (or deadline) is retried waits again later with a new token.
  const woken = wokeFromCompletion(node);
  const parked = await parkUntil(cx, claim, wakeAt, {
    set: { status, token: message.token, wakeAt: cx.iso(wakeAt), ...(error ? { error } : {}) },
    remove: ['leaseUntil', ...(woken ? COMPLETION_FIELDS : [])],
    ...(woken ? { addAttempt: -1 } : {}),
  });
  if (!parked) return DONE;
  cx.emit({
    type: status === 'WAITING' ? 'node.waiting' : 'node.retrying',
    runId: run.runId,
    nodeId: node.nodeId,
    attempt: node.attempt,
    ...(error ? { error } : {}),
  });
  return DONE;
}

/**
 * Writes the parked node (`change`) and sends the message that wakes it at `at`. When the store
 * refuses the change as too large (its error), the node ends FAILED instead. False when nothing
 * is left to do: the write lost to another, or the node failed.
 */
async function parkUntil(cx: EngineContext, claim: Claim, at: number, change: NodeChange): Promise<boolean> {
  const { run, node, message } = claim;
  const saved = await saveOrFail(cx, claim, change, (failure) => ({
    set: { status: 'FAILED', token: message.token, endedAt: cx.iso(), error: failure },
    remove: ['leaseUntil', 'wakeAt'],
  }));
  if (!saved) return false;
  if (saved.failure) {
    cx.emit({ type: 'node.failed', runId: run.runId, nodeId: node.nodeId, error: saved.failure });
    await afterTerminal(cx, run, claim.plan, saved.node);
    return false;
  }
  await cx.enqueueAt(
    { runId: run.runId, nodeId: node.nodeId, token: cx.newToken(), epoch: run.epoch },
    at,
    claim.plan,
  );
  return true;
}

const COMPLETION_FIELDS = [
  'completionTokenHash',
  'completionToken',
  'completionWindowMs',
  'completion',
  'childRunId',
  'spawnKey',
  'mapRound',
  'awaitRef',
] as const;

/**
 * WAITING for an outside completion until `until`: a new token (256 random bits) is issued, its
 * sha256 kept for the check, the token itself kept only while the node waits (the run view and
 * the `node.waiting` event show it). A message at `until` wakes the node if no completion did.
 */
export async function awaitCompletion(cx: EngineContext, claim: Claim, until: number): Promise<StepResult> {
  const { run, node, message } = claim;
  const token = cx.deps.ids.secret(32);
  const windowMs = Math.max(0, until - cx.now());
  const parked = await parkUntil(cx, claim, until, {
    set: {
      status: 'WAITING',
      token: message.token,
      wakeAt: cx.iso(until),
      completionTokenHash: hashToken(token),
      completionToken: token,
      completionWindowMs: windowMs,
    },
    remove: ['leaseUntil', 'completion', 'error'],
  });
  if (!parked) return DONE;
  cx.emit({
    type: 'node.waiting',
    runId: run.runId,
    nodeId: node.nodeId,
    attempt: node.attempt,
    completionToken: token,
  });
  return DONE;
}

/**
 * The worker must stop: give the node back unfinished, not counting the attempt. Bounded: the
 * `maxHandBacks`-th hand-back of a node fails it with `WORKER_TIME_EXCEEDED` (its pool's worker
 * never has the time it needs) instead of sending it round the queue for ever.
 */
export async function handBack(cx: EngineContext, claim: Claim): Promise<StepResult> {
  const { run, node } = claim;
  const handBacks = (node.handBacks ?? 0) + 1;
  if (handBacks >= cx.settings.maxHandBacks) {
    const pool = claim.plan.node(node.nodeId)?.pool ?? 'default';
    return finishNode(cx, claim, {
      status: 'FAILED',
      error: {
        code: 'WORKER_TIME_EXCEEDED',
        message:
          `node "${node.nodeId}" was handed back ${handBacks} times: the workers of pool "${pool}" ran ` +
          'out of time before it finished; lower its timeout or run it on a pool with a longer function timeout',
      },
    });
  }
  const written = await cx.runs.updateNode(
    run.runId,
    node.nodeId,
    { status: ['RUNNING'], fence: node.fence, epoch: run.epoch },
    { set: { status: 'READY', readyAt: cx.iso(), handBacks }, addAttempt: -1, remove: ['leaseUntil'] },
    run.expiresAt,
  );
  if (written) await cx.enqueue([{ runId: run.runId, nodeId: node.nodeId, epoch: run.epoch }], claim.plan);
  return DONE;
}

/**
 * Writes `change` under the claim's fence; when the store refuses the item as too large, writes
 * `fallback` with a small SAVE_FAILED error instead and logs what happened. Undefined when the
 * fence no longer holds.
 */
async function saveOrFail(
  cx: EngineContext,
  claim: Claim,
  change: NodeChange,
  fallback: (failure: { code: string; message: string }) => NodeChange,
): Promise<{ node: NodeRecord; failure?: { code: string; message: string } } | undefined> {
  const { run, node } = claim;
  const when = { status: ['RUNNING' as const], fence: node.fence, epoch: run.epoch };
  try {
    const written = await cx.runs.updateNode(run.runId, node.nodeId, when, change, run.expiresAt);
    return written && { node: written };
  } catch (error) {
    if (!(error instanceof ItemTooLargeError)) throw error;
    const failure = {
      code: 'SAVE_FAILED',
      message: `the result of node "${node.nodeId}" could not be stored: ${truncateBytes(messageOf(error), 512)}`,
    };
    cx.deps.log?.('a node result was too large to store; the node failed instead', {
      runId: run.runId,
      nodeId: node.nodeId,
      attempt: node.attempt,
      error: messageOf(error),
    });
    const written = await cx.runs.updateNode(run.runId, node.nodeId, when, fallback(failure), run.expiresAt);
    return written && { node: written, failure };
  }
}

/**
 * The attempts a node may make: its retry policy's `maxAttempts` (the wake-up claim of a kind that
 * `suspends`, a `wait`, counts one more, given back when it ends).
 */
export function maxAttemptsOf(plan: Plan, nodeId: string): number {
  const definition = plan.node(nodeId);
  let max = 1;
  try {
    max = effectiveRetryPolicy(definition ?? {}, plan.definition.defaults, ['nodes', nodeId]).maxAttempts;
  } catch {
    // validation refuses bad policies; a stored one still must not crash a worker
  }
  const kind = plan.kindOf(nodeId);
  return kind?.suspends === true || kind?.awaitsCompletion === true ? max + 1 : max;
}

/**
 * A RUNNING node whose worker died (lease expired) on its last allowed attempt: the attempt
 * failed (WORKER_LOST) and no other starts, so a side effect is never repeated beyond the retry
 * policy. Any message for the node may conclude it; the write is fenced like a completion.
 */
export async function concludeLostAttempt(
  cx: EngineContext,
  run: RunRecord,
  plan: Plan,
  node: NodeRecord,
  message: NodeMessage,
): Promise<boolean> {
  const now = cx.iso();
  const error = {
    code: 'WORKER_LOST',
    message: `the worker running attempt ${node.attempt} of node "${node.nodeId}" stopped before storing a result (its lease ended ${node.leaseUntil ?? ''}); no attempts are left`,
  };
  const written = await cx.runs.updateNode(
    run.runId,
    node.nodeId,
    { status: [], orLeaseExpiredBefore: now, fence: node.fence, epoch: run.epoch },
    {
      set: { status: 'FAILED', token: message.token, endedAt: now, error },
      remove: ['leaseUntil', 'wakeAt'],
    },
    run.expiresAt,
  );
  if (!written) return false;
  cx.emit({ type: 'node.failed', runId: run.runId, nodeId: node.nodeId, attempt: written.attempt, error });
  await afterTerminal(cx, run, plan, written);
  return true;
}
