// Workflow shapes the engine benchmark runs on Skein, each matched by an Amazon States Language
// machine in bench/asl.ts. Every node is a `noop`, so a run measures the orchestrator alone.
import { LIMITS } from '../shared/domain/limits.ts';

/** A `noop` node of a benchmark definition. */
export interface NoopNode {
  readonly type: 'noop';
  readonly needs?: string[];
}

/** A Skein workflow definition made of `noop` nodes only (valid per `validateDefinition`). */
export interface NoopDefinition {
  readonly id: string;
  readonly version: string;
  readonly nodes: Record<string, NoopNode>;
}

export type ShapeKind = 'diamond' | 'chain' | 'fanOutIn' | 'fanOut';

/** A benchmark shape: the definition and its real size. */
export interface Shape {
  /** `diamond`, `chain-1000`, `fan-out-in-1000`, `fan-out-10000`: also the definition's id suffix. */
  readonly name: string;
  readonly kind: ShapeKind;
  /** The size asked for: `n` of the builder (4 for the diamond). */
  readonly size: number;
  readonly definition: NoopDefinition;
  /** Nodes in the definition, helper join nodes included. */
  readonly nodes: number;
  /** Edges in the definition (the sum of every node's `needs`). */
  readonly edges: number;
  /** Nodes present only because of the 100-parents limit (the intermediate joins of `fanOutIn`). */
  readonly helperNodes: number;
}

function shape(kind: ShapeKind, name: string, size: number, nodes: Record<string, NoopNode>, helpers = 0) {
  const all = Object.values(nodes);
  const edges = all.reduce((sum, node) => sum + (node.needs?.length ?? 0), 0);
  const definition = { id: `bench-${name}`, version: '1.0.0', nodes };
  return { name, kind, size, definition, nodes: all.length, edges, helperNodes: helpers } satisfies Shape;
}

function atLeast(n: number, min: number, what: string) {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what} needs an integer n >= ${min}, got ${n}`);
}

/**
 * `a → (b, c) → d`: 4 nodes, 4 edges.
 * @example diamond().definition.nodes.d // { type: 'noop', needs: ['b', 'c'] }
 */
export function diamond(): Shape {
  return shape('diamond', 'diamond', 4, {
    a: { type: 'noop' },
    b: { type: 'noop', needs: ['a'] },
    c: { type: 'noop', needs: ['a'] },
    d: { type: 'noop', needs: ['b', 'c'] },
  });
}

/**
 * `n` nodes in a line, `n0 → n1 → … → n{n-1}`: n nodes, n − 1 edges.
 * @example chain(3).edges // 2
 */
export function chain(n: number): Shape {
  atLeast(n, 1, 'chain');
  const nodes: Record<string, NoopNode> = {};
  for (let i = 0; i < n; i++)
    nodes[`n${i}`] = i === 0 ? { type: 'noop' } : { type: 'noop', needs: [`n${i - 1}`] };
  return shape('chain', `chain-${n}`, n, nodes);
}

/**
 * `start → n middle nodes → end`. A node may have at most `LIMITS.maxParents` (100) parents, so the
 * join is always two-level: the middle nodes `m0…m{n-1}` join, 100 at a time, into ceil(n/100)
 * intermediate nodes `j0…`, which join into `end`. Hence n + 2 + ceil(n/100) nodes and
 * 2n + ceil(n/100) edges; `helperNodes` is ceil(n/100). n ≤ 10,000 keeps `end` within 100 parents.
 * @example fanOutIn(1000).nodes // 1012 (1 + 1000 + 10 + 1); edges 2010
 */
export function fanOutIn(n: number): Shape {
  atLeast(n, 1, 'fanOutIn');
  const joins = Math.ceil(n / LIMITS.maxParents);
  if (joins > LIMITS.maxParents) {
    throw new RangeError(
      `fanOutIn(${n}) would give "end" ${joins} parents; the limit is ${LIMITS.maxParents}`,
    );
  }
  const nodes: Record<string, NoopNode> = { start: { type: 'noop' } };
  for (let i = 0; i < n; i++) nodes[`m${i}`] = { type: 'noop', needs: ['start'] };
  const ends: string[] = [];
  for (let k = 0; k < joins; k++) {
    const needs: string[] = [];
    for (let i = k * LIMITS.maxParents; i < Math.min(n, (k + 1) * LIMITS.maxParents); i++)
      needs.push(`m${i}`);
    nodes[`j${k}`] = { type: 'noop', needs };
    ends.push(`j${k}`);
  }
  nodes.end = { type: 'noop', needs: ends };
  return shape('fanOutIn', `fan-out-in-${n}`, n, nodes, joins);
}

/**
 * One `root` and n − 1 leaves `l1…l{n-1}` that each need it: n nodes, n − 1 edges. `fanOut(10_000)`
 * is the largest definition Skein accepts (`LIMITS.maxNodes`); `fanOut(1_000)` gives t(10k)/t(1k).
 * @example fanOut(3).definition.nodes // { root: {type:'noop'}, l1: {…needs:['root']}, l2: {…} }
 */
export function fanOut(n: number): Shape {
  atLeast(n, 1, 'fanOut');
  const nodes: Record<string, NoopNode> = { root: { type: 'noop' } };
  for (let i = 1; i < n; i++) nodes[`l${i}`] = { type: 'noop', needs: ['root'] };
  return shape('fanOut', `fan-out-${n}`, n, nodes);
}

/**
 * The shapes of the benchmark: diamond, chain 1,000, fan-out-in 1,000, fan-out 1,000 and 10,000.
 * @example benchmarkShapes().map((s) => s.name) // ['diamond', 'chain-1000', …]
 */
export function benchmarkShapes(): Shape[] {
  return [diamond(), chain(1_000), fanOutIn(1_000), fanOut(1_000), fanOut(10_000)];
}
