import { describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../shared/domain/limits.ts';
import {
  type EvaluateOptions,
  ExpressionError,
  type ExpressionScope,
  evaluateCondition,
  evaluateTemplate,
} from '../../shared/engine/evaluate.ts';
import { FakeClock, systemClock } from '../../shared/ports/clock.ts';

// Pass-through spy on the JSONata compiler, to see how often a source is compiled.
const compiler = vi.hoisted(() => ({ calls: [] as string[] }));
vi.mock('jsonata', async (importOriginal) => {
  const actual = (await importOriginal()) as { default: (source: string) => unknown };
  return {
    default: (source: string) => {
      compiler.calls.push(source);
      return actual.default(source);
    },
  };
});

/** A clock that moves 1 ms each time it is read, so the time bound trips after a known amount of work. */
class TickingClock extends FakeClock {
  override now(): number {
    this.advance(1);
    return super.now();
  }
}

const scope: ExpressionScope = {
  inputs: { count: 3, name: 'ada', tags: ['a', 'b'] },
  nodes: { fetch: { output: { total: 12, rows: [{ id: 1 }, { id: 2 }] } } },
  run: { id: 'run-1' },
};
const options: EvaluateOptions = { clock: new FakeClock(Date.UTC(2026, 0, 2)) };

async function failure(promise: Promise<unknown>): Promise<ExpressionError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ExpressionError);
  return error as ExpressionError;
}

describe('evaluateTemplate', () => {
  it('keeps the type of a value that is one whole expression', async () => {
    // Prepare
    const template = {
      n: '{% $inputs.count * 2 %}',
      o: ' {% {"who": $inputs.name} %} ',
      a: '{% $inputs.tags %}',
      b: '{% $inputs.count > 2 %}',
      s: '{% $inputs.name %}',
    };

    // Act
    const result = await evaluateTemplate(template, scope, options);

    // Assess
    expect(result).toEqual({ n: 6, o: { who: 'ada' }, a: ['a', 'b'], b: true, s: 'ada' });
  });

  it('leaves a missing path undefined in a whole value and empty in a string', async () => {
    // Act
    const whole = await evaluateTemplate('{% $inputs.missing %}', scope, options);
    const text = await evaluateTemplate('[{% $inputs.missing %}]', scope, options);

    // Assess
    expect(whole).toBeUndefined();
    expect(text).toBe('[]');
  });

  it('interpolates embedded expressions, with objects and arrays as JSON text', async () => {
    // Act
    const result = await evaluateTemplate(
      'hi {% $inputs.name %}, {% $inputs.count %} tags {% $inputs.tags %} {%{"a":1}%}!',
      scope,
      options,
    );

    // Assess
    expect(result).toBe('hi ada, 3 tags ["a","b"] {"a":1}!');
  });

  it('walks nested objects and arrays and returns other values as they are', async () => {
    // Prepare
    const template = { a: [1, { b: '{% $run.id %}' }, null, true], c: { d: 'plain' } };

    // Act
    const result = await evaluateTemplate(template, scope, options);

    // Assess
    expect(result).toEqual({ a: [1, { b: 'run-1' }, null, true], c: { d: 'plain' } });
  });

  it('reads parent outputs through $nodes and the map item through $item and $index', async () => {
    // Prepare
    const inMap: ExpressionScope = { ...scope, item: { id: 7 }, index: 4 };

    // Act
    const result = await evaluateTemplate(
      ['{% $nodes.fetch.output.total %}', '{% $nodes.fetch.output.rows.id %}', '{% $item.id + $index %}'],
      inMap,
      options,
    );

    // Assess
    expect(result).toEqual([12, [1, 2], 11]);
  });

  it('takes $now() and $millis() from the clock', async () => {
    // Act
    const result = await evaluateTemplate(['{% $now() %}', '{% $millis() %}'], scope, options);

    // Assess
    expect(result).toEqual(['2026-01-02T00:00:00.000Z', Date.UTC(2026, 0, 2)]);
  });

  it('reports a parse error with the JSON path and the position in the string', async () => {
    // Act
    const error = await failure(evaluateTemplate({ with: { a: [1, 'x {% 1 + %}'] } }, scope, options, '$'));

    // Assess
    expect(error.code).toBe('EXPRESSION');
    expect(error.kind).toBe('unprocessable');
    expect(error.path).toBe('$.with.a[1]');
    expect(error.message).toMatch(/^invalid JSONata at position \d+: /);
    expect(error.position).toBeGreaterThan(4);
  });

  it("reports a runtime error with JSONata's message and position", async () => {
    // Act
    const error = await failure(evaluateTemplate({ q: '{% $number("x") %}' }, scope, options, '$.with'));

    // Assess
    expect(error.path).toBe('$.with.q');
    expect(error.message).toMatch(/^the expression failed at position \d+: .*number.*\(D3030\)$/);
  });

  it('reports an unclosed expression and a type error as expression errors', async () => {
    // Act
    const unclosed = await failure(evaluateTemplate('a {% 1', scope, options));
    const typeError = await failure(evaluateTemplate('{% "a" + 1 %}', scope, options));

    // Assess
    expect(unclosed.message).toContain('never closed');
    expect(unclosed.position).toBe(2);
    expect(typeError.message).toContain('(T2001)');
  });

  it('stops a runaway recursion at the depth bound', async () => {
    // Act
    const error = await failure(
      evaluateTemplate('{% ($f := function($n){ 1 + $f($n + 1) }; $f(0)) %}', scope, {
        ...options,
        maxDepth: 50,
      }),
    );

    // Assess
    expect(error.message).toContain('recursed deeper than 50 calls');
  });

  it('stops an endless tail recursion at the time bound of the clock', async () => {
    // Prepare
    const clock = new TickingClock();

    // Act
    const error = await failure(
      evaluateTemplate('{% ($f := function($n){ $f($n + 1) }; $f(0)) %}', scope, { clock, timeoutMs: 500 }),
    );

    // Assess
    expect(error.message).toContain('took longer than 500ms');
  });

  it('stops a long loop on the real clock', async () => {
    // Act
    const error = await failure(
      evaluateTemplate('{% $sum([1..10000000].($ * 2)) %}', scope, { clock: systemClock, timeoutMs: 100 }),
    );

    // Assess
    expect(error.message).toContain('took longer than 100ms');
  });

  it('refuses a result larger than the size bound, naming the size and the limit', async () => {
    // Act
    const error = await failure(
      evaluateTemplate({ big: '{% $pad("", 2000, "x") %}' }, scope, { ...options, maxResultBytes: 1000 }),
    );

    // Assess
    expect(error.path).toBe('$.big');
    expect(error.message).toContain('2002 bytes as JSON, over the limit of 1000 bytes');
    expect(LIMITS.maxOutputBytes).toBe(256 * 1024);
  });

  it('compiles each distinct expression source once', async () => {
    // Prepare
    const source = ' $inputs.count + 12345 ';
    const before = compiler.calls.filter((call) => call === source).length;

    // Act
    await evaluateTemplate([`{%${source}%}`, `{%${source}%}`, `x{%${source}%}`], scope, options);

    // Assess
    expect(compiler.calls.filter((call) => call === source).length - before).toBe(1);
  });
});

describe('evaluateCondition', () => {
  it('is false for 0, empty string, empty array, null and nothing', async () => {
    // Prepare
    const falsy = ['0', '""', '[]', 'null', '$inputs.missing', 'false', '{}'];

    // Act
    const results = await Promise.all(falsy.map((s) => evaluateCondition(`{% ${s} %}`, scope, options)));

    // Assess
    expect(results).toEqual(falsy.map(() => false));
  });

  it('is true for non-zero numbers, non-empty strings, arrays and objects', async () => {
    // Prepare
    const truthy = ['1', '"x"', '[0, 1]', '{"a": 1}', '$nodes.fetch.output.total > 10', 'true'];

    // Act
    const results = await Promise.all(truthy.map((s) => evaluateCondition(`{% ${s} %}`, scope, options)));

    // Assess
    expect(results).toEqual(truthy.map(() => true));
  });

  it('accepts bare JSONata and names the path when it fails', async () => {
    // Act
    const bare = await evaluateCondition('$inputs.count = 3', scope, options);
    const error = await failure(evaluateCondition('{% $inputs.( %}', scope, options, '$.nodes.a.when'));

    // Assess
    expect(bare).toBe(true);
    expect(error.path).toBe('$.nodes.a.when');
  });
});
