import { describe, expect, it } from 'vitest';
import { analyzeDag, type DagAnalysis, formatCycle } from '../../shared/domain/dag.ts';
import { LIMITS } from '../../shared/domain/limits.ts';

/** Analyzes a graph written as `{ node: needs }`, in key order. */
function analyze(needs: Record<string, readonly string[]>): DagAnalysis {
  return analyzeDag({ nodes: Object.keys(needs), parents: (id) => needs[id] ?? [] });
}

/** Ids that keep numeric order under string compare. */
function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
}

function complete(nodes: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(nodes.map((id) => [id, nodes.filter((other) => other !== id)]));
}

describe('analyzeDag', () => {
  it('layers a diamond into three levels', () => {
    // Prepare
    const needs = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.levels).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(analysis.cycles).toEqual([]);
    expect(analysis.omittedCycles).toBe(0);
    expect(analysis.cyclesCountIsLowerBound).toBe(false);
    expect(analysis.blocked.size).toBe(0);
  });

  it('places a node one level below its deepest parent and keeps definition order within a level', () => {
    // Prepare
    const needs = { z: ['a'], c: ['a', 'b'], b: ['a'], a: [], y: [] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.levels).toEqual([['a', 'y'], ['z', 'b'], ['c']]);
  });

  it('returns no levels and no cycles for an empty graph', () => {
    // Act
    const analysis = analyze({});

    // Assess
    expect(analysis.levels).toEqual([]);
    expect(analysis.cycles).toEqual([]);
  });

  it('reports two independent cycles', () => {
    // Prepare
    const needs = { a: ['b'], b: ['a'], c: [], x: ['z'], y: ['x'], z: ['y'] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.cycles).toEqual([
      ['a', 'b', 'a'],
      ['x', 'y', 'z', 'x'],
    ]);
    expect(analysis.levels).toBeUndefined();
    expect(analysis.omittedCycles).toBe(0);
  });

  it('reports every cycle of overlapping cycles', () => {
    // Prepare
    const needs = { a: ['b'], b: ['a', 'c'], c: ['b'] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.cycles).toEqual([
      ['a', 'b', 'a'],
      ['b', 'c', 'b'],
    ]);
  });

  it('writes cycles in execution direction, rotated to the smallest id and closed', () => {
    // Prepare: b needs a, c needs b, a needs c; the definition starts elsewhere on purpose.
    const forward = { c: ['b'], b: ['a'], a: ['c'] };
    const backward = { c: ['a'], b: ['c'], a: ['b'] };

    // Act
    const [first, second] = [analyze(forward), analyze(backward)];

    // Assess
    expect(first.cycles).toEqual([['a', 'b', 'c', 'a']]);
    expect(second.cycles).toEqual([['a', 'c', 'b', 'a']]);
  });

  it('sorts cycles by length, then id by id', () => {
    // Prepare: the triangle p -> q -> r and the pairs q <-> r and a <-> b.
    const needs = { p: ['r'], q: ['p', 'r'], r: ['q'], b: ['a'], a: ['b'] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.cycles).toEqual([
      ['a', 'b', 'a'],
      ['q', 'r', 'q'],
      ['p', 'q', 'r', 'p'],
    ]);
  });

  it('marks nodes downstream of a cycle as blocked by it, in definition order', () => {
    // Prepare: u is upstream of the cycle, d and e downstream, f is independent.
    const needs = { e: ['d'], u: [], a: ['u', 'b'], b: ['a'], d: ['b'], f: [] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect([...analysis.blocked]).toEqual([
      ['e', ['a', 'b', 'a']],
      ['d', ['a', 'b', 'a']],
    ]);
    expect(analysis.levels).toBeUndefined();
  });

  it('treats duplicate parent ids as one edge', () => {
    // Prepare
    const acyclic = { a: [], b: ['a', 'a', 'a'] };
    const cyclic = { a: ['b', 'b'], b: ['a', 'a'] };

    // Act
    const [first, second] = [analyze(acyclic), analyze(cyclic)];

    // Assess
    expect(first.levels).toEqual([['a'], ['b']]);
    expect(second.cycles).toEqual([['a', 'b', 'a']]);
    expect(second.omittedCycles).toBe(0);
  });

  it('handles a 10,000-node chain without overflowing the stack', () => {
    // Prepare
    const nodes = ids('n', 10_000);
    const needs = Object.fromEntries(nodes.map((id, i) => [id, i === 0 ? [] : [nodes[i - 1] as string]]));

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.levels).toHaveLength(10_000);
    expect(analysis.levels?.[9_999]).toEqual([nodes[9_999]]);
  });

  it('handles a 10,000-node cycle without overflowing the stack', () => {
    // Prepare
    const nodes = ids('n', 10_000);
    const needs = Object.fromEntries(nodes.map((id, i) => [id, [nodes[(i + 9_999) % 10_000] as string]]));

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.cycles).toEqual([[...nodes, nodes[0]]]);
    expect(analysis.omittedCycles).toBe(0);
    expect(analysis.cyclesCountIsLowerBound).toBe(false);
  });

  it('analyzes a 10,000-node random DAG with 30,000 edges without super-linear work', () => {
    // Prepare: a fixed xorshift sequence keeps the graph the same on every run.
    const nodes = ids('n', 10_000);
    const needs: Record<string, string[]> = Object.fromEntries(nodes.map((id) => [id, []]));
    let seed = 2463534242;
    const random = (limit: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % limit;
    };
    for (let edge = 0; edge < 30_000; edge++) {
      const [x, y] = [random(10_000), random(10_000)];
      if (x !== y) needs[nodes[Math.max(x, y)] as string]?.push(nodes[Math.min(x, y)] as string);
    }

    // Act
    const started = performance.now();
    const analysis = analyze(needs);
    const elapsed = performance.now() - started;

    // Assess: the budget is 100 ms; the bound here only catches quadratic regressions on a busy machine.
    expect(analysis.levels?.flat()).toHaveLength(10_000);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('stops enumerating a complete digraph on 12 nodes in well under a second', () => {
    // Prepare
    const needs = complete(ids('k', 12));

    // Act
    const started = performance.now();
    const analysis = analyze(needs);
    const elapsed = performance.now() - started;

    // Assess: the shortest of the enumerated cycles come first.
    expect(elapsed).toBeLessThan(1_000);
    expect(analysis.cycles).toHaveLength(LIMITS.maxReportedCycles);
    expect(analysis.cycles[0]).toEqual(['k00000', 'k00001', 'k00000']);
    expect(analysis.omittedCycles).toBeGreaterThan(0);
    expect(analysis.cyclesCountIsLowerBound).toBe(true);
  });

  it('still reports a cycle for every cyclic region when enumeration stops early', () => {
    // Prepare: K12 exhausts enumeration before the later x <-> y cycle is reached.
    const needs = { ...complete(ids('k', 12)), x: ['y'], y: ['x'], z: ['y'] };

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.cycles).toContainEqual(['x', 'y', 'x']);
    expect(analysis.cycles).toHaveLength(LIMITS.maxReportedCycles);
    expect(analysis.blocked.get('z')).toEqual(['x', 'y', 'x']);
  });

  it('stays fast when a large cycle-rich region exhausts the work budget', () => {
    // Prepare: 10,000 nodes where each neighbour pair needs each other.
    const nodes = ids('n', 10_000);
    const needs = Object.fromEntries(
      nodes.map((id, i) => [id, [nodes[i - 1], nodes[i + 1]].filter((x) => x !== undefined)]),
    );

    // Act
    const started = performance.now();
    const analysis = analyze(needs);
    const elapsed = performance.now() - started;

    // Assess
    expect(elapsed).toBeLessThan(1_000);
    expect(analysis.cycles.length).toBeGreaterThan(0);
    expect(analysis.cyclesCountIsLowerBound).toBe(true);
  });

  it('counts the cycles beyond the reported ones exactly when there are few', () => {
    // Prepare: 60 disjoint pairs that need each other.
    const nodes = ids('n', 120);
    const needs = Object.fromEntries(nodes.map((id, i) => [id, [nodes[i ^ 1] as string]]));

    // Act
    const analysis = analyze(needs);

    // Assess
    expect(analysis.cycles).toHaveLength(LIMITS.maxReportedCycles);
    expect(analysis.omittedCycles).toBe(60 - LIMITS.maxReportedCycles);
    expect(analysis.cyclesCountIsLowerBound).toBe(false);
  });
});

describe('formatCycle', () => {
  it('joins the ids with arrows', () => {
    // Act
    const text = formatCycle(['a', 'b', 'c', 'a']);

    // Assess
    expect(text).toBe('a -> b -> c -> a');
  });
});
