import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeDag, type DagAnalysis } from '../../shared/domain/dag.ts';
import { LIMITS } from '../../shared/domain/limits.ts';

/** A graph as node ids in definition order plus each node's parents (duplicates allowed). */
interface Graph {
  readonly nodes: string[];
  readonly parents: Map<string, string[]>;
}

// Ids such as n10 < n2 make string order differ from numeric and definition order.
const id = (index: number): string => `n${index}`;

function graphOf(edges: readonly (readonly [number, number])[], order: readonly number[]): Graph {
  const parents = new Map(order.map((index) => [id(index), [] as string[]]));
  for (const [parent, child] of edges) {
    if (parent !== child) parents.get(id(child))?.push(id(parent));
  }
  return { nodes: order.map(id), parents };
}

function analyze(graph: Graph): DagAnalysis {
  return analyzeDag({ nodes: graph.nodes, parents: (node) => graph.parents.get(node) ?? [] });
}

const hasEdge = (graph: Graph, parent: string, child: string): boolean =>
  graph.parents.get(child)?.includes(parent) ?? false;

/** Random DAGs: edges only go from a lower to a higher index; the definition order is shuffled. */
const dag = (minNodes: number, maxNodes: number) =>
  fc.integer({ min: minNodes, max: maxNodes }).chain((count) => {
    const indexes = Array.from({ length: count }, (_, i) => i);
    return fc.record({
      count: fc.constant(count),
      edges: fc.array(
        fc
          .tuple(fc.nat(count - 1), fc.nat(count - 1))
          .map(([x, y]) => [Math.min(x, y), Math.max(x, y)] as const),
        { maxLength: count * 3 },
      ),
      order: fc.shuffledSubarray(indexes, { minLength: count, maxLength: count }),
    });
  });

/** Every elementary cycle by brute force, each starting at its smallest id, closed. */
function allCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const children = (node: string): string[] => graph.nodes.filter((other) => hasEdge(graph, node, other));
  for (const start of graph.nodes) {
    const walk = (path: string[]): void => {
      for (const next of children(path.at(-1) as string)) {
        if (next === start) cycles.push([...path, start]);
        else if (next > start && !path.includes(next)) walk([...path, next]);
      }
    };
    walk([start]);
  }
  return cycles;
}

function reachable(graph: Graph, from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    if (node === to) return true;
    for (const next of graph.nodes) {
      if (!seen.has(next) && hasEdge(graph, node, next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

function isClosedElementaryPath(graph: Graph, cycle: readonly string[]): boolean {
  const inner = cycle.slice(0, -1);
  return (
    cycle.length >= 3 &&
    cycle[0] === cycle.at(-1) &&
    new Set(inner).size === inner.length &&
    inner.every((node) => node >= (cycle[0] as string)) &&
    cycle.slice(1).every((node, i) => hasEdge(graph, cycle[i] as string, node))
  );
}

describe('analyzeDag', () => {
  it('layers every random DAG so that each edge goes down at least one level and each level is tight', () => {
    fc.assert(
      fc.property(dag(1, 15), ({ edges, order }) => {
        // Prepare
        const graph = graphOf(edges, order);

        // Act
        const analysis = analyze(graph);

        // Assess
        expect(analysis.cycles).toEqual([]);
        expect(analysis.blocked.size).toBe(0);
        const levels = analysis.levels ?? [];
        expect(levels.flat().sort()).toEqual([...graph.nodes].sort());
        const levelOf = new Map(
          levels.flatMap((level, depth) => level.map((node) => [node, depth] as const)),
        );
        for (const [child, parents] of graph.parents) {
          const depth = levelOf.get(child) ?? -1;
          for (const parent of parents) expect(levelOf.get(parent)).toBeLessThan(depth);
          if (depth > 0) expect(parents.some((parent) => levelOf.get(parent) === depth - 1)).toBe(true);
        }
        for (const level of levels) {
          expect(level).toEqual(graph.nodes.filter((node) => level.includes(node)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('always reports a cycle injected into a random DAG, as real closed paths', () => {
    const withCycle = dag(2, 15).chain((base) =>
      fc.record({
        base: fc.constant(base),
        path: fc.uniqueArray(fc.nat(base.count - 1), { minLength: 2, maxLength: base.count }),
      }),
    );
    fc.assert(
      fc.property(withCycle, ({ base, path }) => {
        // Prepare: a forward path through the chosen nodes plus the edge closing it.
        const sorted = [...path].sort((x, y) => x - y);
        const loop = sorted.map((from, i) => [from, sorted[(i + 1) % sorted.length] as number] as const);
        const graph = graphOf([...base.edges, ...loop], base.order);

        // Act
        const analysis = analyze(graph);

        // Assess
        expect(analysis.cycles.length).toBeGreaterThanOrEqual(1);
        expect(analysis.levels).toBeUndefined();
        for (const cycle of analysis.cycles) expect(isClosedElementaryPath(graph, cycle)).toBe(true);
        for (const cycle of analysis.blocked.values())
          expect(isClosedElementaryPath(graph, cycle)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reports the same cycles and blocked nodes as a brute-force search on small graphs', () => {
    const small = fc.integer({ min: 1, max: 7 }).chain((count) =>
      fc.record({
        count: fc.constant(count),
        edges: fc.array(fc.tuple(fc.nat(count - 1), fc.nat(count - 1)), { maxLength: 24 }),
        order: fc.shuffledSubarray(
          Array.from({ length: count }, (_, i) => i),
          { minLength: count, maxLength: count },
        ),
      }),
    );
    fc.assert(
      fc.property(small, ({ edges, order }) => {
        // Prepare
        const graph = graphOf(edges, order);
        const expected = allCycles(graph);

        // Act
        const analysis = analyze(graph);

        // Assess: all cycles when they fit, else a cap-sized, sorted subset and an exact count of the rest.
        const key = (cycle: readonly string[]): string => cycle.join(' ');
        const reported = analysis.cycles.map(key);
        const known = new Set(expected.map(key));
        if (expected.length <= LIMITS.maxReportedCycles) expect(new Set(reported)).toEqual(known);
        else expect(reported.every((cycle) => known.has(cycle))).toBe(true);
        expect(new Set(reported).size).toBe(Math.min(expected.length, LIMITS.maxReportedCycles));
        expect(analysis.omittedCycles).toBe(expected.length - reported.length);
        expect(analysis.cyclesCountIsLowerBound).toBe(false);
        const resorted = [...analysis.cycles].sort(
          (x, y) => x.length - y.length || (key(x) < key(y) ? -1 : 1),
        );
        expect(analysis.cycles).toEqual(resorted);
        expect(analysis.levels === undefined).toBe(expected.length > 0);

        const onCycle = new Set(expected.flat());
        const blocked = graph.nodes.filter(
          (node) => !onCycle.has(node) && [...onCycle].some((cyclic) => reachable(graph, cyclic, node)),
        );
        expect([...analysis.blocked.keys()]).toEqual(blocked);
        for (const [node, cycle] of analysis.blocked) {
          expect(known.has(key(cycle))).toBe(true);
          expect(reachable(graph, cycle[0] as string, node)).toBe(true);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
