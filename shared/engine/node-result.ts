import { LIMITS } from '../domain/limits.ts';
import { decideRetry, effectiveRetryPolicy, type RetryPolicy } from '../domain/retry-policy.ts';
import {
  boundedOutput,
  type ExecutionError,
  type ExecutionResult,
  type Executor,
  type SpawnedChild,
} from '../ports/executor.ts';
import type { Claim, FinishChange } from './claim.ts';
import type { EngineContext } from './context.ts';

/** What the step writes after an attempt: a terminal state, a wait, or the node handed back. */
export type AttemptResult =
  | { readonly kind: 'finish'; readonly change: FinishChange }
  | {
      readonly kind: 'park';
      readonly status: 'RETRY_WAIT' | 'WAITING';
      readonly wakeAt: number;
      readonly error?: { code: string; message: string };
    }
  | { readonly kind: 'await'; readonly until?: number; readonly ref?: string }
  | { readonly kind: 'spawn-run'; readonly child: SpawnedRun; readonly until?: number }
  | {
      readonly kind: 'spawn-items';
      readonly items: readonly SpawnedItem[];
      readonly maxConcurrency: number;
      readonly until?: number;
    }
  | { readonly kind: 'hand-back' };

/** The child run a `workflow` node starts. */
export type SpawnedRun = Extract<SpawnedChild, { kind: 'run' }>;
/** An item a `map` node runs its template for. */
export type SpawnedItem = Extract<SpawnedChild, { kind: 'item' }>;

/** Items run at once when a map sets no `maxConcurrency`. */
export const DEFAULT_MAP_CONCURRENCY = 40;

/** The result variants the engine carries out today (`ExecutionResult` declares more). */
const CARRIED_OUT = [
  'succeeded',
  'failed',
  'suspend-until (for kinds that declare `suspends`)',
  'suspend-for-completion (for kinds that declare `awaitsCompletion`)',
  'spawn of one run or of items (for kinds that declare `awaitsCompletion`)',
] as const;

/** Codes executors return when their time budget ran out or their signal fired. */
const STOPPED = /_(TIMEOUT|ABORTED)$/;

export const failed = (error: { code: string; message: string }): AttemptResult => ({
  kind: 'finish',
  change: { status: 'FAILED', error: { code: error.code, message: error.message } },
});

/**
 * What an executor's result makes of the node, by the result's `kind` (never the node's type): an
 * output is bounded and stored; a failure is retried per the node's policy unless `final`, or
 * handed back when `cutShort` (the worker's time, not the node's timeout, stopped the attempt); a
 * suspension parks the node WAITING until its time, or until an outside completion. A variant the engine does not carry out yet,
 * or a suspension from a kind that does not declare `suspends`, fails the node at once with
 * `NODE_RESULT_UNSUPPORTED`; anything else an executor returns fails it with `NODE_RESULT_INVALID`.
 */
export function settleResult(
  cx: EngineContext,
  claim: Claim,
  kind: Executor,
  result: ExecutionResult,
  cutShort: boolean,
): AttemptResult {
  const { node } = claim;
  switch (result.kind) {
    case 'succeeded': {
      const limit = kind.maxOutputBytes ?? LIMITS.maxOutputBytes;
      const bounded = boundedOutput(node.nodeId, result.output, limit);
      if (bounded.kind === 'failed') return retryOrFail(cx, claim, bounded.error);
      return { kind: 'finish', change: { status: 'SUCCEEDED', output: bounded.output } };
    }
    case 'failed':
      if (cutShort && STOPPED.test(result.error.code)) return { kind: 'hand-back' };
      return result.final ? failed(result.error) : retryOrFail(cx, claim, result.error);
    case 'suspend-until':
      if (!kind.suspends) return unsupported(claim, result.kind, ' without declaring `suspends`');
      if (!Number.isFinite(result.at)) return invalid(claim, result);
      return { kind: 'park', status: 'WAITING', wakeAt: result.at };
    case 'suspend-for-completion':
      if (!kind.awaitsCompletion) {
        return unsupported(claim, result.kind, ' without declaring `awaitsCompletion`');
      }
      if (result.until === undefined ? result.ref === undefined : !Number.isFinite(result.until)) {
        return invalid(claim, result);
      }
      return {
        kind: 'await',
        ...(result.until === undefined ? {} : { until: result.until }),
        ...(result.ref === undefined ? {} : { ref: result.ref }),
      };
    case 'spawn': {
      const [child, ...more] = result.children;
      if (result.until !== undefined && !Number.isFinite(result.until)) return invalid(claim, result);
      const until = result.until === undefined ? {} : { until: result.until };
      if (kind.awaitsCompletion && result.children.every((item) => item.kind === 'item')) {
        const items = result.children as readonly SpawnedItem[];
        const maxConcurrency = result.maxConcurrency ?? DEFAULT_MAP_CONCURRENCY;
        return { kind: 'spawn-items', items, maxConcurrency, ...until };
      }
      if (!kind.awaitsCompletion || child?.kind !== 'run' || more.length > 0) {
        return unsupported(
          claim,
          result.kind,
          ' other than one run from a kind that declares `awaitsCompletion`',
        );
      }
      return { kind: 'spawn-run', child, ...until };
    }
    default:
      return invalid(claim, result);
  }
}

/**
 * A failed expression fails the attempt for good (it would fail again), except when the sandbox
 * itself failed (`EXPRESSION_ENGINE`): that is retried like any retryable error.
 */
export function expressionFailed(
  cx: EngineContext,
  claim: Claim,
  error: { code: string; message: string },
): AttemptResult {
  if (error.code !== 'EXPRESSION_ENGINE') return failed(error);
  return retryOrFail(cx, claim, { ...error, retryable: true });
}

function retryOrFail(cx: EngineContext, claim: Claim, error: ExecutionError): AttemptResult {
  const { node, plan } = claim;
  const definition = plan.node(node.nodeId);
  let policy: RetryPolicy;
  try {
    policy = effectiveRetryPolicy(definition ?? {}, plan.definition.defaults, ['nodes', node.nodeId]);
  } catch {
    return failed(error); // validation refuses bad policies; a stored one still must not crash a worker
  }
  // The claim a completion or its deadline woke counted an attempt that was not one.
  const attempt = node.attempt - (wokeFromCompletion(node) ? 1 : 0);
  const decision = decideRetry(policy, attempt, error, cx.deps.random());
  if (!decision.retry) return failed(error);
  return {
    kind: 'park',
    status: 'RETRY_WAIT',
    wakeAt: cx.now() + decision.delayMs,
    error: { code: error.code, message: error.message },
  };
}

/**
 * The claim woke a node that waited for an outside completion (it still holds the token's hash),
 * for its child run (it holds the child's id), for its items (it holds its round) or for named
 * outside work (it holds the `ref`).
 */
export function wokeFromCompletion(node: {
  readonly completionTokenHash?: string;
  readonly childRunId?: string;
  readonly mapRound?: number;
  readonly awaitRef?: string;
}): boolean {
  return (
    node.completionTokenHash !== undefined ||
    node.childRunId !== undefined ||
    node.mapRound !== undefined ||
    node.awaitRef !== undefined
  );
}

function typeOf(claim: Claim): string {
  return claim.plan.node(claim.node.nodeId)?.type ?? '?';
}

/** A declared variant the engine does not carry out (yet): fail now, a retry would ask again. */
function unsupported(claim: Claim, kind: string, how = ''): AttemptResult {
  const { nodeId } = claim.node;
  return failed({
    code: 'NODE_RESULT_UNSUPPORTED',
    message:
      `node "${nodeId}" (type "${typeOf(claim)}") returned a "${kind}" result${how}, which this engine ` +
      `does not carry out (it carries out: ${CARRIED_OUT.join(', ')}): this node type cannot run in this deployment`,
  });
}

/** Not an `ExecutionResult` at all: an executor written against another version of the port. */
function invalid(claim: Claim, result: unknown): AttemptResult {
  const shown = JSON.stringify(result)?.slice(0, 200) ?? String(result);
  return failed({
    code: 'NODE_RESULT_INVALID',
    message:
      `node "${claim.node.nodeId}" (type "${typeOf(claim)}") returned ${shown}, which is not a result: an ` +
      "executor returns an ExecutionResult such as { kind: 'succeeded', output } (ports/executor.ts)",
  });
}
