import type { RunEngine } from '../engine/run-engine.ts';
import type { SweepReport } from '../engine/sweeper.ts';

/** What the sweeper reads of a Lambda context (the core never imports Lambda types). */
export interface SweeperContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The sweeper's Lambda handler, run every minute by an EventBridge schedule (and by a timer
 * locally): times out runs past their deadline and re-enqueues nodes whose message was lost.
 * Given the Lambda context, the sweep's budget also fits the invocation's remaining time;
 * without it, the default budget (30 s) fits the 60 s function.
 * @example export const handler = createSweeperHandler({ engine });
 */
export function createSweeperHandler(deps: { readonly engine: RunEngine }) {
  return async (_event?: unknown, context?: SweeperContext): Promise<SweepReport> =>
    deps.engine.sweep(context ? { remainingMs: context.getRemainingTimeInMillis() } : {});
}
