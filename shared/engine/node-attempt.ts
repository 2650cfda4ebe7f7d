import { waitUntil } from '../executors/wait.ts';
import { idempotencyKeyOf } from '../ports/executor.ts';
import { type Claim, evaluate } from './claim.ts';
import type { EngineContext } from './context.ts';
import { evaluateCondition, evaluateTemplate } from './evaluate.ts';
import { type AttemptResult, expressionFailed, failed, settleResult } from './node-result.ts';

export type { AttemptResult } from './node-result.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs one attempt of a claimed node: a `condition` picks its branch, a `wait` schedules its
 * wake-up, any other type goes to its executor with the evaluated `with`, a time budget and an
 * abort signal. A failure is retried per the node's policy (RETRY_WAIT) or ends the node.
 * `remainingMs` is how long the worker may still run: when that, not the node's timeout, cuts
 * the attempt short, the node is handed back instead of failed.
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
  const path = `$.nodes.${node.nodeId}`;
  if (definition.type === 'condition') {
    const result = await evaluate(cx, claim, (scope) =>
      evaluateCondition(definition.if, scope, cx.expressionOptions(), `${path}.if`),
    );
    if (!result.ok) return expressionFailed(cx, claim, result.error);
    const output = { result: result.value, branch: result.value ? 'then' : 'else' };
    return { kind: 'finish', change: { status: 'SUCCEEDED', output } };
  }
  const inputs = await evaluate(cx, claim, (scope) =>
    evaluateTemplate(definition.with ?? {}, scope, cx.expressionOptions(), `${path}.with`),
  );
  if (!inputs.ok) return expressionFailed(cx, claim, inputs.error);
  if (definition.type === 'wait') {
    const now = cx.now();
    if (node.wakeAt !== undefined) {
      return { kind: 'finish', change: { status: 'SUCCEEDED', output: { resumedAt: cx.iso(now) } } };
    }
    const plan = waitUntil(inputs.value, now);
    if (!plan.ok) return failed(plan.error);
    if (plan.resumeAt <= now) {
      return { kind: 'finish', change: { status: 'SUCCEEDED', output: { resumedAt: cx.iso(now) } } };
    }
    return { kind: 'park', status: 'WAITING', wakeAt: plan.resumeAt };
  }
  if (!cx.deps.executors.has(definition.type)) {
    const known = cx.deps.executors.types().join(', ');
    return failed({
      code: 'NODE_TYPE_UNAVAILABLE',
      message: `node type "${definition.type}" is not available in this deployment (available: ${known})`,
    });
  }
  const workerBudget =
    remainingMs === undefined ? Number.POSITIVE_INFINITY : remainingMs - cx.settings.handBackMarginMs;
  if (workerBudget <= 0) return { kind: 'hand-back' };
  const budgetMs = Math.min(timeoutMs, workerBudget);
  const result = await cx.deps.executors.get(definition.type).execute({
    node: definition,
    inputs: inputs.value,
    ctx: {
      runId: node.runId,
      nodeId: node.nodeId,
      attempt: node.attempt,
      // setTimeout holds at most 2^31 - 1 ms (~24.8 days); longer budgets would fire at once.
      signal: AbortSignal.timeout(Math.min(Math.max(1, budgetMs), MAX_TIMER_MS)),
      idempotencyKey: idempotencyKeyOf(node.runId, node.nodeId, node.attempt),
      timeoutMs: budgetMs,
    },
  });
  return settleResult(cx, claim, result, workerBudget < timeoutMs);
}
