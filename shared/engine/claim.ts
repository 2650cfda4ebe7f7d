import { SkeinError } from '../domain/problems.ts';
import type { NodeRecord, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import type { ExpressionScope } from './evaluate.ts';
import type { NodeMessage } from './messages.ts';
import { type Plan, referencedNodes } from './plan.ts';
import { scopeFor } from './scope.ts';

/** What a claimed node's step needs. */
export interface Claim {
  readonly run: RunRecord;
  readonly plan: Plan;
  readonly node: NodeRecord;
  readonly message: NodeMessage;
}

/** Evaluates an expression of the node with its scope; an expression error fails the node. */
export async function evaluate<T>(
  cx: EngineContext,
  claim: Claim,
  run: (scope: ExpressionScope) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }> {
  const definition = claim.plan.node(claim.node.nodeId);
  const ids = referencedNodes(definition, (id) => claim.plan.node(id) !== undefined);
  try {
    return { ok: true, value: await run(await scopeFor(cx, claim.run, ids, claim.node)) };
  } catch (error) {
    const code = error instanceof SkeinError ? error.code : 'EXPRESSION';
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code, message } };
  }
}

export interface FinishChange {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'CANCELLED';
  readonly output?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  readonly reason?: string;
  /** The claim started no attempt (a skip, a cancel before the start): it does not count one. */
  readonly uncounted?: boolean;
}
