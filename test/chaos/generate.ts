/**
 * Random workflows for the chaos driver: DAGs of 2–60 nodes whose values are sums, so a reference
 * evaluation can say what every node must output. Node kinds: `num` (a probe node: k + the sum of
 * its numeric parents, failing transiently for its first attempts), `js` and `lua` scripts (the
 * same sum), `condition` (branch on the parity of that sum), `wait` (a few seconds), and `perm`
 * (always fails, not retryable). Joins get a random trigger rule, some nodes a `when` or
 * `continueOnError`.
 */

/** A small seeded PRNG (mulberry32): the same seed gives the same workflows and faults. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type Kind = 'num' | 'js' | 'lua' | 'condition' | 'wait' | 'perm';
export type Rule = 'all_success' | 'all_done' | 'one_success' | 'none_failed';

export interface ChaosNode {
  readonly id: string;
  readonly kind: Kind;
  readonly parents: readonly string[];
  readonly k: number;
  readonly rule?: Rule;
  /** Skip unless the parents' sum modulo 3 is not 1. */
  readonly when?: boolean;
  readonly continueOnError?: boolean;
  /** `num`: attempts that fail (retryable) before one succeeds. */
  readonly transient: number;
  /** `condition`: children on the `then` branch; the other children are on `else`. */
  readonly then?: readonly string[];
  readonly else?: readonly string[];
}

export interface ChaosWorkflow {
  readonly id: string;
  readonly nodes: readonly ChaosNode[];
}

/** Node kinds whose output is a number (the others output objects and are left out of sums). */
export const NUMERIC: ReadonlySet<Kind> = new Set(['num', 'js', 'lua']);
export const MAX_ATTEMPTS = 20;

export function randomWorkflow(random: () => number, index: number, maxNodes = 60): ChaosWorkflow {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const size = 2 + Math.floor(random() * (maxNodes - 1));
  const withPermanent = random() < 0.2;
  const permanentAt = withPermanent ? Math.floor(random() * size) : -1;
  const drafts: { id: string; kind: Kind; parents: string[] }[] = [];
  for (let i = 0; i < size; i += 1) {
    const id = `n${i}`;
    const parentCount = i === 0 ? 0 : Math.floor(random() * Math.min(i, 4)) + (random() < 0.8 ? 1 : 0);
    const parents = new Set<string>();
    for (let p = 0; p < parentCount; p += 1) {
      // Mostly recent nodes, so the graph is deep as well as wide.
      const back = Math.min(i, 1 + Math.floor(random() ** 2 * i));
      parents.add(`n${i - back}`);
    }
    const kind: Kind =
      i === permanentAt ? 'perm' : pick(['num', 'num', 'num', 'num', 'js', 'lua', 'condition', 'wait']);
    drafts.push({ id, kind, parents: [...parents] });
  }
  const childrenOf = new Map<string, string[]>(drafts.map((draft) => [draft.id, []]));
  for (const draft of drafts) for (const parent of draft.parents) childrenOf.get(parent)?.push(draft.id);
  const nodes = drafts.map((draft): ChaosNode => {
    const children = childrenOf.get(draft.id) ?? [];
    const branches =
      draft.kind === 'condition'
        ? (() => {
            const then = children.filter(() => random() < 0.5);
            return { then, else: children.filter((child) => !then.includes(child)) };
          })()
        : {};
    return {
      id: draft.id,
      kind: draft.kind,
      parents: draft.parents,
      k: Math.floor(random() * 21) - 10,
      ...(draft.parents.length > 1
        ? { rule: pick(['all_success', 'all_done', 'one_success', 'none_failed']) }
        : {}),
      ...(draft.parents.length > 0 && random() < 0.12 ? { when: true } : {}),
      ...(draft.kind === 'perm' && random() < 0.3 ? { continueOnError: true } : {}),
      transient: draft.kind === 'num' && random() < 0.25 ? 1 + Math.floor(random() * 2) : 0,
      ...branches,
    };
  });
  return { id: `chaos-${index}`, nodes };
}

/** The parents' sum as an expression: numeric parents that have an output (0 when none has). */
function sumExpression(node: ChaosNode, kinds: ReadonlyMap<string, Kind>): string {
  const numeric = node.parents.filter((parent) => NUMERIC.has(kinds.get(parent) ?? 'wait'));
  const terms = ['0', ...numeric.map((parent) => `$nodes.${parent}.output`)].join(', ');
  return `$sum([${terms}][$type($) = "number"])`;
}

/** The workflow as a Skein definition. */
export function definitionOf(workflow: ChaosWorkflow) {
  const kinds = new Map(workflow.nodes.map((node) => [node.id, node.kind]));
  const nodes: Record<string, object> = {};
  for (const node of workflow.nodes) {
    const sum = sumExpression(node, kinds);
    const common = {
      ...(node.parents.length > 0 ? { needs: [...node.parents] } : {}),
      ...(node.rule ? { trigger: node.rule } : {}),
      ...(node.when ? { when: `{% ${sum} % 3 != 1 %}` } : {}),
      ...(node.continueOnError ? { continueOnError: true } : {}),
    };
    const sumWith = { with: { k: node.k, s: `{% ${sum} %}`, t: node.transient } };
    switch (node.kind) {
      case 'num':
      case 'perm':
        nodes[node.id] = {
          type: 'noop',
          ...common,
          ...sumWith,
          ...(node.kind === 'perm' ? { description: 'perm' } : {}),
        };
        break;
      case 'js':
        nodes[node.id] = {
          type: 'script',
          language: 'js',
          code: 'return inputs.k + inputs.s;',
          ...common,
          ...sumWith,
        };
        break;
      case 'lua':
        nodes[node.id] = {
          type: 'script',
          language: 'lua',
          code: 'return inputs.k + inputs.s',
          ...common,
          ...sumWith,
        };
        break;
      case 'condition':
        nodes[node.id] = {
          type: 'condition',
          if: `{% (${sum}) % 2 = 0 %}`,
          then: [...(node.then ?? [])],
          else: [...(node.else ?? [])],
          ...common,
        };
        break;
      case 'wait':
        nodes[node.id] = { type: 'wait', with: { seconds: 5 }, ...common };
        break;
    }
  }
  const outputs = Object.fromEntries(
    workflow.nodes
      .filter((node) => NUMERIC.has(node.kind))
      .map((node) => [node.id, `{% $nodes.${node.id}.output %}`]),
  );
  return {
    id: workflow.id,
    defaults: { retry: { maxAttempts: MAX_ATTEMPTS, backoff: 'fixed', initialDelay: '1s', jitter: false } },
    outputs,
    nodes,
  };
}
