import type { NodeRecord, Outcome } from '../ports/run-store.ts';
import type { Plan } from './plan.ts';

/**
 * What a finished node passes to `childId`: its own outcome, with `continueOnError` failures
 * passed on as successes and the branch a condition did not choose passed on as a skip.
 */
export function edgeOutcome(plan: Plan, node: NodeRecord, childId: string): Outcome {
  const definition = plan.node(node.nodeId);
  let outcome: Outcome;
  if (node.status === 'SUCCEEDED') outcome = 'SUCCEEDED';
  else if (node.status === 'FAILED') outcome = definition?.continueOnError ? 'SUCCEEDED' : 'FAILED';
  else outcome = 'SKIPPED';
  if (outcome === 'SUCCEEDED' && definition?.type === 'condition') {
    const branch = plan.branchOf(node.nodeId, childId);
    const chosen = (node.output as { branch?: unknown } | undefined)?.branch;
    if (branch !== undefined && branch !== chosen) return 'SKIPPED';
  }
  return outcome;
}
