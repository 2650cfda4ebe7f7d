import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { afterNode, type DagPlan, planDag, released, runOver } from '../../bench/peers/dag.ts';
import { cell, checkTargets, formatCell, markdownTable, type ShapeRow } from '../../bench/peers/table.ts';
import { chain, diamond, fanOut, fanOutIn } from '../../bench/shapes.ts';

/**
 * Runs the peers' DAG logic as the adapters do, with an in-memory counter store: finishes ready
 * nodes in the order `pick` chooses, and returns the nodes in the order they finished and when
 * the run was declared over.
 */
function simulate(plan: DagPlan, pick: (ready: number) => number) {
  const counters = new Map<string, number>();
  const incr = (key: string) => {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return n;
  };
  const ready = [...plan.roots];
  const finished: string[] = [];
  let overAt: number | undefined;
  while (ready.length > 0) {
    const [node] = ready.splice(pick(ready.length), 1) as [string];
    finished.push(node);
    const next = afterNode(plan, node);
    const counts = next.counted.map((child) => incr(child));
    ready.push(...next.direct, ...released(plan, next.counted, counts));
    if (next.sink && runOver(plan, incr('$sinks'))) {
      expect(overAt).toBeUndefined();
      overAt = finished.length;
    }
  }
  return { finished, overAt };
}

describe('the peers DAG logic', () => {
  it('plans roots, children, parent counts and sinks', () => {
    const plan = planDag(diamond().definition);
    expect(plan.roots).toEqual(['a']);
    expect(plan.children.get('a')).toEqual(['b', 'c']);
    expect(plan.parents.get('d')).toBe(2);
    expect(plan.sinks).toBe(1);
    expect(afterNode(plan, 'a')).toEqual({ direct: ['b', 'c'], counted: [], sink: false });
    expect(afterNode(plan, 'b')).toEqual({ direct: [], counted: ['d'], sink: false });
    expect(afterNode(plan, 'd')).toEqual({ direct: [], counted: [], sink: true });
    expect(planDag(fanOut(10).definition).sinks).toBe(9);
    expect(planDag(fanOutIn(250).definition).sinks).toBe(1);
  });

  it('releases a counted child only on the arrival that completes its count', () => {
    const plan = planDag(fanOutIn(150).definition);
    expect(released(plan, ['j0', 'j1'], [99, 50])).toEqual(['j1']);
    expect(released(plan, ['j0', 'j1'], [100, 49])).toEqual(['j0']);
    expect(released(plan, ['j0'], [101])).toEqual([]);
    expect(() => released(plan, ['j0'], [])).toThrow(RangeError);
  });

  it('rejects a node it does not know and a need that is not a node', () => {
    expect(() => afterNode(planDag(diamond().definition), 'z')).toThrow(RangeError);
    expect(() =>
      planDag({ id: 'x', version: '1.0.0', nodes: { a: { type: 'noop', needs: ['ghost'] } } }),
    ).toThrow(/ghost/);
  });

  it('runs every node once, after its parents, and ends the run on the last node, in any order', () => {
    const shapes = [diamond(), chain(30), fanOutIn(250), fanOut(40)];
    fc.assert(
      fc.property(fc.constantFrom(...shapes), fc.infiniteStream(fc.nat()), (shape, choices) => {
        const plan = planDag(shape.definition);
        const picks = choices[Symbol.iterator]();
        const { finished, overAt } = simulate(plan, (n) => (picks.next().value as number) % n);
        expect(finished).toHaveLength(shape.nodes);
        expect(new Set(finished).size).toBe(shape.nodes);
        const position = new Map(finished.map((id, i) => [id, i]));
        for (const [id, node] of Object.entries(shape.definition.nodes))
          for (const parent of node.needs ?? [])
            expect(position.get(parent)).toBeLessThan(position.get(id) ?? -1);
        expect(overAt).toBe(shape.nodes);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the side-by-side table', () => {
  const diamondRow: ShapeRow = { name: 'diamond', nodes: 4, kind: 'latency' };
  const fanRow: ShapeRow = { name: 'fan-out-10000', nodes: 10_000, kind: 'throughput' };
  const chainRow: ShapeRow = { name: 'chain-1000', nodes: 1000, kind: 'throughput' };
  const samples = new Map([
    [
      'diamond',
      new Map([
        ['BullMQ', [4, 5, 6, 7, 40]],
        ['SQLite', [1, 2, 2, 3, 30]],
      ]),
    ],
    [
      'fan-out-10000',
      new Map([
        ['BullMQ', [2500, 2600, 2700]],
        ['SQLite', [2600, 2000, 2100]],
      ]),
    ],
    ['chain-1000', new Map([['SQLite', [1200]]])],
  ]);

  it('takes p50, p95, nodes per second and the baseline p50 over this p50', () => {
    expect(cell(samples, diamondRow, 'SQLite', 'BullMQ')).toEqual({
      p50: 2,
      p95: 30,
      runs: 5,
      nodesPerSecond: 2000,
      speedup: 3,
    });
    const fan = cell(samples, fanRow, 'SQLite', 'BullMQ');
    expect(fan?.p50).toBe(2100);
    expect(fan?.speedup).toBeCloseTo(2600 / 2100);
    expect(cell(samples, chainRow, 'SQLite', 'BullMQ')?.speedup).toBeUndefined();
    expect(cell(samples, chainRow, 'BullMQ', 'BullMQ')).toBeUndefined();
  });

  it('formats cells and the Markdown table, "skipped" where a contestant did not run', () => {
    expect(formatCell(diamondRow, cell(samples, diamondRow, 'SQLite', 'BullMQ'))).toBe(
      '2.00 / 30.00 ms (3.00×)',
    );
    expect(formatCell(fanRow, cell(samples, fanRow, 'SQLite', 'BullMQ'))).toBe(
      '2.10 s, 4,762 nodes/s (1.24×)',
    );
    const table = markdownTable([diamondRow, chainRow], ['SQLite', 'BullMQ'], samples, 'BullMQ').split('\n');
    expect(table[0]).toBe('| shape | SQLite | BullMQ |');
    expect(table[2]).toBe('| diamond p50 / p95 | 2.00 / 30.00 ms (3.00×) | 6.00 / 40.00 ms (1.00×) |');
    expect(table[3]).toBe('| chain-1000 p50 | 1.20 s, 833 nodes/s | skipped |');
  });

  it('checks the issue targets: faster than the baseline, diamond ≤ 4 ms, chain ≤ 1 s, ≥ 5,000 nodes/s', () => {
    const checks = checkTargets([diamondRow, chainRow, fanRow], 'SQLite', samples, 'BullMQ');
    expect(checks.map((c) => [c.target, c.met])).toEqual([
      ['diamond: faster than BullMQ', true],
      ['diamond p50 ≤ 4 ms', true],
      ['chain-1000 ≤ 1 s', false],
      ['fan-out-10000: faster than BullMQ', true],
      ['fan-out-10000 ≥ 5,000 nodes/s', false],
    ]);
    expect(checks[4]?.measured).toBe('4,762 nodes/s');
  });
});
