import type { AttemptLogs } from '../ports/attempt-logs.ts';
import { type CompletionOutcome, type InputsSource, idempotencyKeyOf } from '../ports/executor.ts';
import type { NodeRecord } from '../ports/run-store.ts';
import { type Claim, evaluate } from './claim.ts';
import type { EngineContext } from './context.ts';
import {
  type EvaluateOptions,
  type ExpressionScope,
  evaluateCondition,
  evaluateTemplate,
} from './evaluate.ts';
import { itemResults } from './map-run.ts';
import {
  type AttemptResult,
  expressionFailed,
  failed,
  settleResult,
  wokeFromCompletion,
} from './node-result.ts';

export type { AttemptResult } from './node-result.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs one attempt of a claimed node through its kind (`plan.kindOf`): evaluate what the kind
 * takes as inputs (the node's `with`, or a condition's `if`), run its executor with a time budget
 * and an abort signal, and settle the result by its `kind` (`settleResult`). `remainingMs` is how
 * long the worker may still run: when that, not the node's timeout, cuts the attempt short, the
 * node is handed back instead of failed; an `inline` kind is never handed back.
 */
export async function runAttempt(
  cx: EngineContext,
  claim: Claim,
  timeoutMs: number,
  remainingMs: number | undefined,
): Promise<AttemptResult> {
  const { node, plan } = claim;
  const definition = plan.node(node.nodeId);
  if (!definition) return failed({ code: 'UNKNOWN_NODE', message: `node "${node.nodeId}" is not defined` });
  const kind = plan.kindOf(node.nodeId);
  const source = kind?.inputsOf?.(definition) ?? {
    kind: 'template',
    template: definition.with ?? {},
    field: 'with',
  };
  const path = `$.nodes.${node.nodeId}.${source.field}`;
  const inputs = await evaluate(cx, claim, (scope) =>
    evaluateInputs(source, scope, cx.expressionOptions(), path),
  );
  if (!inputs.ok) return expressionFailed(cx, claim, inputs.error);
  if (!kind) return failed(unavailable(cx, definition.type));
  const workerBudget =
    kind.inline || remainingMs === undefined
      ? Number.POSITIVE_INFINITY
      : remainingMs - cx.settings.handBackMarginMs;
  if (workerBudget <= 0) return { kind: 'hand-back' };
  const budgetMs = Math.min(timeoutMs, workerBudget);
  const startAttempt = kind.startsOnce && !wokeFromCompletion(node) ? await noteStart(cx, claim) : undefined;
  if (startAttempt === null) return { kind: 'hand-back' }; // the lease was taken over: its write fails too
  const attemptStart = cx.now();
  let signal: AbortSignal | undefined;
  const result = await kind.execute({
    node: definition,
    inputs: inputs.value,
    ctx: {
      tenant: claim.run.tenant,
      runId: node.runId,
      nodeId: node.nodeId,
      attempt: node.attempt,
      // Made on first use, so the kinds that never look at it (noop, condition, wait) set no timer.
      get signal() {
        signal ??= AbortSignal.timeout(
          // setTimeout holds at most 2^31 - 1 ms (~24.8 days); longer budgets would fire at once.
          Math.min(Math.max(1, budgetMs - (cx.now() - attemptStart)), MAX_TIMER_MS),
        );
        return signal;
      },
      idempotencyKey: idempotencyKeyOf(node.runId, node.nodeId, node.attempt),
      timeoutMs: budgetMs,
      now: cx.now(),
      ...(node.wakeAt === undefined ? {} : { wakeAt: node.wakeAt }),
      ...(wokeFromCompletion(node) ? { completion: await completionOf(cx, node) } : {}),
      ...(node.awaitRef === undefined ? {} : { awaiting: node.awaitRef }),
      epoch: claim.run.epoch,
      ...(startAttempt === undefined ? {} : { startAttempt }),
    },
  });
  if ((result.kind === 'succeeded' || result.kind === 'failed') && result.logs !== undefined) {
    await keepLogs(cx, claim, result.logs);
  }
  return settleResult(cx, claim, kind, result, workerBudget < timeoutMs);
}

/**
 * Stores what the attempt printed, before its outcome is written (so a failed attempt's lines are
 * kept too), then hands them to the observer. A store that refuses them costs the logs, not the
 * attempt: the outcome is still written.
 */
async function keepLogs(cx: EngineContext, claim: Claim, logs: AttemptLogs): Promise<void> {
  const { run, node } = claim;
  try {
    await cx.runs.putLogs(node.runId, node.nodeId, node.attempt, logs, run.expiresAt);
  } catch (error) {
    cx.deps.log?.('could not store script logs', {
      runId: node.runId,
      nodeId: node.nodeId,
      attempt: node.attempt,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  cx.deps.onScriptLogs?.({
    tenant: run.tenant,
    runId: node.runId,
    nodeId: node.nodeId,
    attempt: node.attempt,
    logs,
  });
}

/**
 * The attempt whose outside work this claim continues: the one the node records (`spawnKey` =
 * `a<attempt>`, left by an attempt that was starting work when its worker died, or whose start
 * failed on the way), else this claim's, recorded now under its fence. `null` when the fence no
 * longer holds.
 */
async function noteStart(cx: EngineContext, claim: Claim): Promise<number | null> {
  const { run, node } = claim;
  const recorded = /^a(\d+)$/.exec(node.spawnKey ?? '');
  if (recorded) return Number(recorded[1]);
  const noted = await cx.runs.updateNode(
    run.runId,
    node.nodeId,
    { status: ['RUNNING'], fence: node.fence, epoch: run.epoch },
    { set: { spawnKey: `a${node.attempt}` } },
    run.expiresAt,
  );
  return noted ? node.attempt : null;
}

/**
 * What woke a node that waited for a completion: the completion (for a map, its items' results,
 * read now), or else its deadline.
 */
async function completionOf(cx: EngineContext, node: NodeRecord): Promise<CompletionOutcome> {
  const given = node.completion;
  if (given?.error !== undefined) return { kind: 'errored', error: given.error };
  if (given !== undefined && node.mapRound !== undefined) {
    return { kind: 'completed', output: { items: await itemResults(cx, node) } };
  }
  if (given !== undefined) return { kind: 'completed', output: given.output };
  return { kind: 'expired', deadline: node.wakeAt ?? '' };
}

function evaluateInputs(
  source: InputsSource,
  scope: ExpressionScope,
  options: EvaluateOptions,
  path: string,
): Promise<unknown> {
  return source.kind === 'condition'
    ? evaluateCondition(source.expression, scope, options, path)
    : evaluateTemplate(source.template, scope, options, path);
}

function unavailable(cx: EngineContext, type: string) {
  const known = cx.deps.executors.types().join(', ');
  return {
    code: 'NODE_TYPE_UNAVAILABLE',
    message: `node type "${type}" is not available in this deployment (available: ${known})`,
  };
}
