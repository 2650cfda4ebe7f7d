/**
 * The chaos driver's oracles, written from the README's rules and not from the engine's code:
 * - `referenceRun`: what a run must end with when nothing fails for good (statuses and outputs);
 * - `inconsistencies`: for any ended run, every node's state must follow from its parents' final
 *   states (its join rule, `when`, condition branches) and every numeric output from its parents'
 *   outputs — a node that ran before its parent reran, or kept a stale result, shows up here.
 */
import { type ChaosNode, type ChaosWorkflow, NUMERIC, type Rule } from './generate.ts';

export type Outcome = 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface ActualNode {
  readonly status?: string;
  readonly output?: unknown;
  readonly error?: { readonly code: string };
}

export interface Reference {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly nodes: Record<string, ActualNode>;
  /** The run's `outputs`: every numeric node's output, null for those that did not succeed. */
  readonly outputs: Record<string, unknown>;
}

/** Runs or not, by join rule, given what each parent passes down. */
function joinRuns(rule: Rule | undefined, outcomes: readonly Outcome[]): boolean {
  if (outcomes.length === 0 || rule === 'all_done') return true;
  switch (rule ?? 'all_success') {
    case 'all_success':
      return outcomes.every((outcome) => outcome === 'SUCCEEDED');
    case 'none_failed':
      return !outcomes.includes('FAILED');
    case 'one_success':
      return outcomes.includes('SUCCEEDED');
    default:
      return true;
  }
}

/** What a parent in state `parent` passes down the edge to `childId`. */
function passed(parentNode: ChaosNode, parent: ActualNode | undefined, childId: string): Outcome {
  if (parent?.status === 'SUCCEEDED') {
    if (parentNode.kind === 'condition') {
      const chosen = (parent.output as { branch?: string } | undefined)?.branch;
      const branch = parentNode.then?.includes(childId)
        ? 'then'
        : parentNode.else?.includes(childId)
          ? 'else'
          : undefined;
      if (branch !== undefined && branch !== chosen) return 'SKIPPED';
    }
    return 'SUCCEEDED';
  }
  if (parent?.status === 'FAILED') return parentNode.continueOnError ? 'SUCCEEDED' : 'FAILED';
  return 'SKIPPED';
}

/** The parents' sum: numeric parents that succeeded, with their outputs. */
function sumOf(
  node: ChaosNode,
  byId: ReadonlyMap<string, ChaosNode>,
  states: ReadonlyMap<string, ActualNode>,
) {
  let sum = 0;
  for (const parent of node.parents) {
    const state = states.get(parent);
    if (NUMERIC.has(byId.get(parent)?.kind ?? 'wait') && typeof state?.output === 'number')
      sum += state.output;
  }
  return sum;
}

/** The clean evaluation, in topological order (parents always come first: ids are in order). */
export function referenceRun(workflow: ChaosWorkflow): Reference {
  const byId = new Map(workflow.nodes.map((node) => [node.id, node]));
  const states = new Map<string, ActualNode>();
  let failed = false;
  for (const node of workflow.nodes) {
    const outcomes = node.parents.map((parent) =>
      passed(byId.get(parent) as ChaosNode, states.get(parent), node.id),
    );
    const sum = sumOf(node, byId, states);
    if (!joinRuns(node.rule, outcomes) || (node.when && sum % 3 === 1)) {
      states.set(node.id, { status: 'SKIPPED' });
      continue;
    }
    switch (node.kind) {
      case 'perm':
        states.set(node.id, { status: 'FAILED' });
        if (!node.continueOnError) failed = true;
        break;
      case 'condition':
        states.set(node.id, {
          status: 'SUCCEEDED',
          output: { result: sum % 2 === 0, branch: sum % 2 === 0 ? 'then' : 'else' },
        });
        break;
      case 'wait':
        states.set(node.id, { status: 'SUCCEEDED' });
        break;
      default:
        states.set(node.id, { status: 'SUCCEEDED', output: node.k + sum });
    }
  }
  const nodes = Object.fromEntries([...states].map(([id, state]) => [id, { ...state }]));
  const outputs = Object.fromEntries(
    workflow.nodes
      .filter((node) => NUMERIC.has(node.kind))
      .map((node) => [
        node.id,
        states.get(node.id)?.status === 'SUCCEEDED' ? states.get(node.id)?.output : null,
      ]),
  );
  return { status: failed ? 'FAILED' : 'SUCCEEDED', nodes, outputs };
}

/**
 * Every node of an ended run whose state does not follow from its parents' final states. Allowed
 * besides the rule's verdict: CANCELLED for a node a failing or stopped run did not start.
 */
export function inconsistencies(
  workflow: ChaosWorkflow,
  actual: Readonly<Record<string, ActualNode>>,
): string[] {
  const byId = new Map(workflow.nodes.map((node) => [node.id, node]));
  const states = new Map(Object.entries(actual));
  const problems: string[] = [];
  for (const node of workflow.nodes) {
    const state = actual[node.id];
    const status = state?.status;
    if (status === 'CANCELLED') continue;
    const outcomes = node.parents.map((parent) =>
      passed(byId.get(parent) as ChaosNode, states.get(parent), node.id),
    );
    const sum = sumOf(node, byId, states);
    const runs = joinRuns(node.rule, outcomes) && !(node.when && sum % 3 === 1);
    if (!runs) {
      if (status !== 'SKIPPED') problems.push(`${node.id} is ${status} but its parents make it SKIPPED`);
      continue;
    }
    if (status === 'SKIPPED') {
      problems.push(`${node.id} is SKIPPED but its parents (${outcomes.join(', ')}) make it run`);
      continue;
    }
    if (node.kind === 'perm') {
      if (status !== 'FAILED') problems.push(`${node.id} must fail for good but is ${status}`);
      continue;
    }
    if (status !== 'SUCCEEDED') {
      problems.push(
        `${node.id} is ${status}${state?.error ? ` (${state.error.code}: ${(state.error as { message?: string }).message})` : ''}`,
      );
      continue;
    }
    if (NUMERIC.has(node.kind) && state?.output !== node.k + sum) {
      problems.push(
        `${node.id} output ${JSON.stringify(state?.output)}, its parents make it ${node.k + sum}`,
      );
    }
    if (node.kind === 'condition') {
      const branch = (state?.output as { branch?: string } | undefined)?.branch;
      if (branch !== (sum % 2 === 0 ? 'then' : 'else'))
        problems.push(`${node.id} took ${branch} for sum ${sum}`);
    }
  }
  return problems;
}
