import type { NodeRecord, Outcome } from '../ports/run-store.ts';
import type { Plan } from './plan.ts';

/**
 * What a finished node passes to `childId`: its own outcome, with `continueOnError` failures
 * passed on as successes, and a success passed on as a skip to a child on a route its output did
 * not choose (the branch a condition did not take: its kind's `routing`).
 */
export function edgeOutcome(plan: Plan, node: NodeRecord, childId: string): Outcome {
  const definition = plan.node(node.nodeId);
  let outcome: Outcome;
  if (node.status === 'SUCCEEDED') outcome = 'SUCCEEDED';
  else if (node.status === 'FAILED') outcome = definition?.continueOnError ? 'SUCCEEDED' : 'FAILED';
  else outcome = 'SKIPPED';
  if (outcome === 'SUCCEEDED') {
    const route = plan.routeOf(node.nodeId, childId);
    const chosen = route && plan.kindOf(node.nodeId)?.routing?.chosenRoute(node.output);
    if (route !== undefined && route !== chosen) return 'SKIPPED';
  }
  return outcome;
}
