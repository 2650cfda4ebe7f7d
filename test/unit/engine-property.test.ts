import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';

interface RandomDag {
  readonly constants: number[];
  /** parents[i] ⊆ [0, i): edges only go forward, so the graph is acyclic. */
  readonly parents: number[][];
}

const dagArbitrary = fc
  .integer({ min: 1, max: 12 })
  .chain((size) =>
    fc.record({
      constants: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: size, maxLength: size }),
      parents: fc.tuple(
        ...Array.from({ length: size }, (_, i) =>
          fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: Math.min(i, 4) }),
        ),
      ),
    }),
  )
  .map(
    ({ constants, parents }): RandomDag => ({
      constants,
      parents: parents.map((list, i) => (i === 0 ? [] : list.filter((p) => p < i))),
    }),
  );

/** Node i returns its constant plus the sum of its parents' outputs, in JS or Lua at random. */
function definitionOf(dag: RandomDag) {
  const nodes: Record<string, object> = {};
  dag.constants.forEach((k, i) => {
    const needs = (dag.parents[i] ?? []).map((p) => `n${p}`);
    const sum = needs.length === 0 ? '[]' : `[${needs.map((id) => `$nodes.${id}.output`).join(', ')}]`;
    nodes[`n${i}`] = {
      type: 'script',
      ...(i % 2 === 0
        ? { language: 'js', code: 'return inputs.k + inputs.p.reduce((a, b) => a + b, 0);' }
        : {
            language: 'lua',
            code: 'local s = inputs.k\nfor _, v in ipairs(inputs.p) do s = s + v end\nreturn s',
          }),
      ...(needs.length > 0 ? { needs } : {}),
      with: { k: k, p: `{% ${sum} %}` },
    };
  });
  const outputs = Object.fromEntries(dag.constants.map((_, i) => [`n${i}`, `{% $nodes.n${i}.output %}`]));
  return { id: 'random', outputs, nodes };
}

/** The oracle: a plain topological evaluation in process. */
function evaluateInProcess(dag: RandomDag): Record<string, number> {
  const values: number[] = [];
  dag.constants.forEach((k, i) => {
    values[i] = k + (dag.parents[i] ?? []).reduce((sum, p) => sum + (values[p] ?? Number.NaN), 0);
  });
  return Object.fromEntries(values.map((value, i) => [`n${i}`, value]));
}

describe('random DAGs of script nodes', () => {
  it('give the same outputs as a plain in-process topological evaluation', async () => {
    await fc.assert(
      fc.asyncProperty(dagArbitrary, async (dag) => {
        // Prepare
        const harness = new WorkflowHarness();
        await harness.publish(definitionOf(dag));

        // Act
        const run = await harness.run('random');

        // Assess
        expect(run.status).toBe('SUCCEEDED');
        expect(run.outputs).toEqual(evaluateInProcess(dag));
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
