import type { RunEngine } from '../engine/run-engine.ts';
import type { SweepReport } from '../engine/sweeper.ts';

/**
 * The sweeper's Lambda handler, run every minute by an EventBridge schedule (and by a timer
 * locally): times out runs past their deadline and re-enqueues nodes whose message was lost.
 * @example export const handler = createSweeperHandler({ engine });
 */
export function createSweeperHandler(deps: { readonly engine: RunEngine }) {
  return async (): Promise<SweepReport> => deps.engine.sweep();
}
