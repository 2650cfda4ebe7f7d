import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluateCondition, evaluateTemplate } from '../../../shared/engine/evaluate.ts';
import { runExpressionJob } from '../../../shared/engine/evaluate-in-thread.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import type { ExpressionJob, ExpressionOutcome, ExpressionSandbox } from '../../../shared/ports/sandbox.ts';

/** A sandbox that records its jobs and evaluates them here, on a clock of its own. */
function recordingSandbox(answer?: (job: ExpressionJob) => ExpressionOutcome) {
  const jobs: ExpressionJob[] = [];
  const sandbox: ExpressionSandbox = {
    evaluate: async (job) => {
      jobs.push(structuredClone(job));
      return answer ? answer(job) : runExpressionJob(job, { now: () => performance.now() });
    },
  };
  return { sandbox, jobs };
}

const scope = {
  inputs: { n: 2, secret: 'x'.repeat(1000) },
  nodes: { fetch: { output: { total: 12 } } },
  run: { id: 'run-1' },
};
const clock = new FakeClock(Date.UTC(2026, 0, 2));

describe('evaluateTemplate with a sandbox', () => {
  it('evaluates a template with expressions as one job and returns its value', async () => {
    // Prepare
    const { sandbox, jobs } = recordingSandbox();

    // Act
    const value = await evaluateTemplate(
      { a: '{% $inputs.n + 1 %}', b: ['x{% $nodes.fetch.output.total %}', 3], c: '{% $millis() %}' },
      scope,
      { clock, sandbox },
      '$.with',
    );

    // Assess
    expect(value).toEqual({ a: 3, b: ['x12', 3], c: Date.UTC(2026, 0, 2) });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ kind: 'template', path: '$.with', nowMs: Date.UTC(2026, 0, 2) });
  });

  it('runs no job for a template without expressions', async () => {
    // Prepare
    const { sandbox, jobs } = recordingSandbox();

    // Act
    const value = await evaluateTemplate({ url: 'https://example.com', n: [1, { m: null }] }, scope, {
      clock,
      sandbox,
    });

    // Assess
    expect(value).toEqual({ url: 'https://example.com', n: [1, { m: null }] });
    expect(jobs).toHaveLength(0);
  });

  it('sends only the variables the expressions name, and all of them for $eval', async () => {
    // Prepare
    const { sandbox, jobs } = recordingSandbox();

    // Act
    await evaluateTemplate('{% $nodes.fetch.output.total %}', scope, { clock, sandbox });
    await evaluateTemplate('{% $run.id %}', scope, { clock, sandbox });
    await evaluateTemplate('{% $eval("$" & "inputs.n") %}', scope, { clock, sandbox });

    // Assess
    expect(jobs.map((job) => job.scope)).toEqual([
      { inputs: undefined, nodes: scope.nodes, run: scope.run },
      { inputs: undefined, nodes: {}, run: scope.run },
      { inputs: scope.inputs, nodes: scope.nodes, run: scope.run },
    ]);
  });

  it('gives a job a budget of its expressions’ bounds together, capped at 30 s', async () => {
    // Prepare
    const { sandbox, jobs } = recordingSandbox();
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `{% ${i} %}`]));

    // Act
    await evaluateTemplate({ a: '{% 1 %}', b: 'x {% 2 %} {% 3 %}' }, scope, {
      clock,
      sandbox,
      timeoutMs: 500,
    });
    await evaluateTemplate(many, scope, { clock, sandbox, timeoutMs: 1000 });

    // Assess
    expect(jobs.map((job) => [job.timeoutMs, job.budgetMs])).toEqual([
      [500, 1500],
      [1000, 30_000],
    ]);
  });

  it('throws the sandbox’s verdict as an ExpressionError with its code, path and position', async () => {
    // Prepare
    const { sandbox } = recordingSandbox((job) => ({
      ok: false,
      error: { code: 'EXPRESSION_MEMORY', message: 'used more than 128 MB', path: job.path, position: 3 },
    }));

    // Act
    const error = await evaluateTemplate({ a: '{% $huge() %}' }, scope, { clock, sandbox }, '$.with').catch(
      (caught: unknown) => caught,
    );

    // Assess
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error).toMatchObject({
      code: 'EXPRESSION_MEMORY',
      path: '$.with',
      position: 3,
      kind: 'unprocessable',
    });
  });

  it('keeps the language’s own errors with their path and position', async () => {
    // Prepare
    const { sandbox } = recordingSandbox();

    // Act
    const error = await evaluateTemplate(
      { q: '{% $number("x") %}' },
      scope,
      { clock, sandbox },
      '$.with',
    ).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'EXPRESSION', path: '$.with.q', position: 11 });
    expect((error as ExpressionError).message).toContain('Unable to cast value to a number');
  });
});

describe('evaluateCondition with a sandbox', () => {
  it('evaluates `{% %}` and bare conditions as condition jobs, to booleans', async () => {
    // Prepare
    const { sandbox, jobs } = recordingSandbox();

    // Act
    const results = [
      await evaluateCondition('{% $inputs.n > 1 %}', scope, { clock, sandbox }),
      await evaluateCondition('$nodes.fetch.output.total = 0', scope, { clock, sandbox }),
    ];

    // Assess
    expect(results).toEqual([true, false]);
    expect(jobs.map((job) => job.kind)).toEqual(['condition', 'condition']);
  });
});
