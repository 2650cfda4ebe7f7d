import { describe, expect, it } from 'vitest';
import {
  aslFor,
  chainAsl,
  diamondAsl,
  fanOutAsl,
  fanOutInAsl,
  standardTransitions,
} from '../../bench/asl.ts';
import { benchmarkShapes, chain, diamond, fanOut, fanOutIn, type Shape } from '../../bench/shapes.ts';
import { countStateEntered, runOnLocalStepFunctions } from '../../bench/stepfunctions.ts';
import { LIMITS } from '../../shared/domain/limits.ts';
import { validateDefinition } from '../../shared/domain/validate.ts';

const parentCounts = (shape: Shape) =>
  Object.values(shape.definition.nodes).map((node) => node.needs?.length ?? 0);

describe('benchmark shapes', () => {
  it('are valid Skein definitions whose nodes have at most 100 parents', () => {
    // Prepare
    const shapes = [...benchmarkShapes(), fanOutIn(1), fanOutIn(101), chain(1), fanOut(1)];
    for (const shape of shapes) {
      // Act
      const result = validateDefinition(shape.definition);
      // Assess
      expect(result.errors, shape.name).toEqual([]);
      expect(Math.max(...parentCounts(shape))).toBeLessThanOrEqual(LIMITS.maxParents);
      expect(Object.keys(shape.definition.nodes)).toHaveLength(shape.nodes);
      expect(parentCounts(shape).reduce((a, b) => a + b, 0)).toBe(shape.edges);
      expect(shape.definition.id).toBe(`bench-${shape.name}`);
    }
  });

  it('have the documented node and edge counts', () => {
    // Prepare
    const expected = [
      { name: 'diamond', nodes: 4, edges: 4, helperNodes: 0 },
      { name: 'chain-1000', nodes: 1000, edges: 999, helperNodes: 0 },
      { name: 'fan-out-in-1000', nodes: 1012, edges: 2010, helperNodes: 10 },
      { name: 'fan-out-1000', nodes: 1000, edges: 999, helperNodes: 0 },
      { name: 'fan-out-10000', nodes: 10_000, edges: 9999, helperNodes: 0 },
    ];
    // Act
    const counts = benchmarkShapes().map(({ name, nodes, edges, helperNodes }) => ({
      name,
      nodes,
      edges,
      helperNodes,
    }));
    // Assess
    expect(counts).toEqual(expected);
  });

  it('builds the diamond a → (b, c) → d and runs the levels in order', () => {
    // Act
    const result = validateDefinition(diamond().definition);
    // Assess
    expect(result.order).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('joins a fan-out-in through intermediate nodes of at most 100 parents each', () => {
    // Act
    const shape = fanOutIn(250);
    // Assess
    const { nodes } = shape.definition;
    expect(nodes.end?.needs).toEqual(['j0', 'j1', 'j2']);
    expect(nodes.j2?.needs).toHaveLength(50);
    expect(nodes.j0?.needs?.[99]).toBe('m99');
    expect(validateDefinition(shape.definition).order).toHaveLength(4);
  });

  it('refuses sizes it cannot build', () => {
    expect(() => chain(0)).toThrow(RangeError);
    expect(() => fanOut(2.5)).toThrow(RangeError);
    expect(() => fanOutIn(10_001)).toThrow(/101 parents/);
  });
});

describe('Step Functions equivalents', () => {
  it('count the transitions Standard bills: every state entered', () => {
    // Act
    const counts = benchmarkShapes().map((shape) => [shape.name, aslFor(shape).transitions]);
    // Assess
    expect(counts).toEqual([
      ['diamond', 5],
      ['chain-1000', 1000],
      ['fan-out-in-1000', 1003],
      ['fan-out-1000', 1001],
      ['fan-out-10000', 10_001],
    ]);
  });

  it('add one transition per child execution of a distributed Map', () => {
    // Act
    const fanOutIn1k = fanOutInAsl(1000, { mode: 'DISTRIBUTED' });
    const fanOut10k = fanOutAsl(10_000, { mode: 'DISTRIBUTED' });
    // Assess
    expect(fanOutIn1k.transitions).toBe(2003);
    expect(fanOut10k.transitions).toBe(20_000);
    expect(fanOut10k.definition.States.leaves).toMatchObject({ MaxConcurrency: 0 });
  });

  it('stand for the Skein shape without its helper joins', () => {
    for (const shape of benchmarkShapes()) {
      expect(aslFor(shape).nodes, shape.name).toBe(shape.nodes - shape.helperNodes);
    }
  });

  it('agree with the StateEntered events of aws-local-stepfunctions', async () => {
    // Prepare
    const machines = [diamondAsl(), chainAsl(20), fanOutInAsl(150), fanOutAsl(300)];
    for (const machine of machines) {
      // Act
      const entered = await countStateEntered(machine.definition, machine.input);
      // Assess
      expect(entered, machine.name).toBe(machine.transitions);
    }
  });

  it('run on aws-local-stepfunctions and return one duration per run', async () => {
    // Act
    const durations = await runOnLocalStepFunctions(diamondAsl().definition, {}, 3, { warmupRuns: 0 });
    // Assess
    expect(durations).toHaveLength(3);
    expect(durations.every((ms) => ms >= 0)).toBe(true);
  });

  it('refuses machines it cannot count', () => {
    expect(() => standardTransitions({ StartAt: 'x', States: {} }, {})).toThrow(/not defined/);
    expect(() =>
      standardTransitions({ StartAt: 'x', States: { x: { Type: 'Pass', Next: 'x' } } }, {}),
    ).toThrow(/loops/);
    expect(() => standardTransitions(fanOutAsl(3).definition, {})).toThrow(/array/);
  });
});
