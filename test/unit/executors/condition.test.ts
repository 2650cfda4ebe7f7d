import { describe, expect, it } from 'vitest';
import { ConditionExecutor, type ConditionNode } from '../../../shared/executors/condition.ts';
import { testContext } from './test-context.ts';

const node: ConditionNode = { type: 'condition', if: '{% $inputs.n > 1 %}', then: ['big'], else: ['small'] };

describe('ConditionExecutor', () => {
  const condition = new ConditionExecutor();

  it('takes its `if` as a condition, not its `with`, as inputs', () => {
    // Act
    const source = condition.inputsOf(node);

    // Assess
    expect(source).toEqual({ kind: 'condition', expression: '{% $inputs.n > 1 %}', field: 'if' });
    expect(condition.inline).toBe(true);
  });

  it.each([
    [true, 'then'],
    [false, 'else'],
  ])('succeeds with the branch its evaluated `if` (%s) chose', async (value, branch) => {
    // Act
    const result = await condition.execute({ node, inputs: value, ctx: testContext() });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: { result: value, branch } });
  });

  it('routes its branches and reads the chosen one back from its output', () => {
    // Prepare
    const { routing } = condition;

    // Act
    const routes = routing.routesOf(node);
    const chosen = [{ branch: 'else' }, { branch: 3 }, null, 'then'].map((output) =>
      routing.chosenRoute(output),
    );

    // Assess
    expect(routes).toEqual({ then: ['big'], else: ['small'] });
    expect(chosen).toEqual(['else', undefined, undefined, undefined]);
    expect(routing.notTakenReason('check', 'else', 'big')).toBe(
      'branch not taken: condition "check" chose "else", and "big" is on the other branch',
    );
  });
});
