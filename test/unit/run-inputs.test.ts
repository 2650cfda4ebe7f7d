import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../shared/domain/definition-schema.ts';
import { LIMITS } from '../../shared/domain/limits.ts';
import { resolveRunInputs, runInputsError } from '../../shared/domain/run-inputs.ts';

const definition = (inputs: NonNullable<WorkflowDefinition['inputs']>): WorkflowDefinition => ({
  inputs,
  nodes: { a: { type: 'noop' } },
});

const problemsOf = (result: ReturnType<typeof resolveRunInputs>) => (result.ok ? [] : result.problems);

describe('resolveRunInputs', () => {
  it('applies defaults for inputs left out and keeps given values', () => {
    // Prepare
    const wf = definition({
      region: { type: 'string', default: 'eu-west-1' },
      count: { type: 'integer', default: 3 },
      note: { type: 'string' },
    });

    // Act
    const result = resolveRunInputs(wf, { count: 5 });

    // Assess
    expect(result).toEqual({ ok: true, inputs: { region: 'eu-west-1', count: 5 } });
    expect(result.ok && 'note' in result.inputs).toBe(false);
  });

  it('deep-copies defaults so two runs never share an object', () => {
    // Prepare
    const wf = definition({ options: { type: 'object', default: { tags: ['a'] } } });

    // Act
    const first = resolveRunInputs(wf, undefined);
    const second = resolveRunInputs(wf, {});

    // Assess
    if (!first.ok || !second.ok) throw new Error('expected both to resolve');
    (first.inputs.options as { tags: string[] }).tags.push('mutated');
    expect(second.inputs.options).toEqual({ tags: ['a'] });
    expect(wf.inputs?.options?.default).toEqual({ tags: ['a'] });
  });

  it('reports a missing required input at its path', () => {
    // Prepare
    const wf = definition({ amount: { type: 'number', required: true } });

    // Act
    const problems = problemsOf(resolveRunInputs(wf, {}));

    // Assess
    expect(problems).toEqual([
      {
        code: 'SCHEMA',
        message: expect.stringContaining('missing required input "amount"'),
        path: '$.inputs.amount',
      },
    ]);
  });

  it.each([
    ['string', 42, 'expected string, got number 42'],
    ['number', '42', 'expected number, got string "42"'],
    ['integer', 1.5, 'expected integer, got number 1.5'],
    ['boolean', 'true', 'expected boolean, got string "true"'],
    ['object', [1], 'expected object, got array'],
    ['array', { a: 1 }, 'expected array, got object'],
    ['object', null, 'expected object, got null'],
  ] as const)('refuses a value of the wrong kind for a %s input (%j)', (type, value, message) => {
    // Prepare
    const wf = definition({ x: { type } });

    // Act
    const problems = problemsOf(resolveRunInputs(wf, { x: value }));

    // Assess
    expect(problems).toEqual([{ code: 'SCHEMA', message, path: '$.inputs.x' }]);
  });

  it('accepts an integer for a number input', () => {
    // Prepare
    const wf = definition({ x: { type: 'number' } });

    // Act
    const result = resolveRunInputs(wf, { x: 2 });

    // Assess
    expect(result).toEqual({ ok: true, inputs: { x: 2 } });
  });

  it('refuses a value outside the enum and lists the allowed values', () => {
    // Prepare
    const wf = definition({ env: { type: 'string', enum: ['dev', 'prod'] } });

    // Act
    const refused = problemsOf(resolveRunInputs(wf, { env: 'test' }));
    const accepted = resolveRunInputs(wf, { env: 'prod' });

    // Assess
    expect(refused).toEqual([
      { code: 'SCHEMA', message: 'expected one of "dev", "prod"; got "test"', path: '$.inputs.env' },
    ]);
    expect(accepted.ok).toBe(true);
  });

  it('matches object enum values whatever their key order', () => {
    // Prepare
    const wf = definition({ size: { type: 'object', enum: [{ w: 1, h: 2 }] } });

    // Act
    const result = resolveRunInputs(wf, { size: { h: 2, w: 1 } });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('reports an unknown key with a suggestion among the declared names', () => {
    // Prepare
    const wf = definition({ amount: { type: 'number', default: 1 } });

    // Act
    const problems = problemsOf(resolveRunInputs(wf, { amout: 5 }));

    // Assess
    expect(problems).toEqual([
      { code: 'SCHEMA', message: expect.stringContaining('did you mean "amount"?'), path: '$.inputs.amout' },
    ]);
  });

  it.each([
    ['an array', [1, 2], 'array'],
    ['a string', 'hello', 'string'],
    ['null', null, 'null'],
  ])('refuses %s given as the inputs', (_label, given, kind) => {
    // Prepare
    const wf = definition({});

    // Act
    const problems = problemsOf(resolveRunInputs(wf, given));

    // Assess
    expect(problems).toEqual([
      { code: 'SCHEMA', message: expect.stringContaining(`got ${kind}`), path: '$.inputs' },
    ]);
  });

  it('refuses inputs whose JSON is over the size limit, naming the size and the limit', () => {
    // Prepare
    const wf = definition({ blob: { type: 'string' } });
    const blob = 'x'.repeat(LIMITS.maxInputBytes);

    // Act
    const problems = problemsOf(resolveRunInputs(wf, { blob }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'LIMIT', path: '$.inputs' });
    expect(problems[0]?.message).toContain(`${LIMITS.maxInputBytes + 11} bytes`);
    expect(problems[0]?.message).toContain(`limit of ${LIMITS.maxInputBytes} bytes`);
  });

  it('reports every problem at once, declared inputs in order and then unknown keys', () => {
    // Prepare
    const wf = definition({
      first: { type: 'string', required: true },
      second: { type: 'integer' },
      third: { type: 'string', enum: ['a'] },
    });

    // Act
    const problems = problemsOf(resolveRunInputs(wf, { zeta: 1, third: 'b', second: 'two', alpha: 2 }));

    // Assess
    expect(problems.map((p) => p.path)).toEqual([
      '$.inputs.first',
      '$.inputs.second',
      '$.inputs.third',
      '$.inputs.zeta',
      '$.inputs.alpha',
    ]);
  });

  it('keeps an input named "__proto__" as plain data', () => {
    // Prepare
    // An object literal `{ __proto__: ... }` would set the prototype, not declare an input.
    const wf = definition(Object.fromEntries([['__proto__', { type: 'object' as const }]]));

    // Act
    const result = resolveRunInputs(wf, JSON.parse('{"__proto__": {"polluted": true}}'));

    // Assess
    if (!result.ok) throw new Error('expected the inputs to resolve');
    expect(Object.hasOwn(result.inputs, '__proto__')).toBe(true);
    expect((result.inputs as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('runInputsError', () => {
  it('summarises the first problem and the count, with every problem in details', () => {
    // Prepare
    const problems = problemsOf(
      resolveRunInputs(definition({ a: { type: 'string', required: true } }), { b: 1 }),
    );

    // Act
    const error = runInputsError(problems);

    // Assess
    expect(error).toMatchObject({
      code: 'INVALID_INPUTS',
      kind: 'invalid',
      path: '$.inputs.a',
      details: problems,
    });
    expect(error.message).toMatch(
      /^invalid run inputs: \$\.inputs\.a: missing required input "a".*\(and 1 more problem\)$/,
    );
  });
});
