import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../shared/domain/validate.ts';

const problemsOf = (nodes: Record<string, object>) =>
  validateDefinition({ nodes }).errors.map(({ code, path, message }) => ({ code, path, message }));

describe('validation of the with values written in typed nodes', () => {
  it('reports a bad URL, method, timeout or a body on a GET of an http node at its path', () => {
    // Act
    const problems = problemsOf({
      a: { type: 'http', with: { url: 'not a url' } },
      b: { type: 'http', with: { url: 'https://example.com', method: 'FETCH', timeout: '0s' } },
      c: { type: 'http', with: { url: 'https://example.com', body: { x: 1 } } },
      d: { type: 'http' },
    });

    // Assess
    expect(problems.map(({ path }) => path)).toEqual([
      '$.nodes.a.with.url',
      '$.nodes.b.with.method',
      '$.nodes.b.with.timeout',
      '$.nodes.c.with.body',
      '$.nodes.d.with',
    ]);
    expect(problems.every(({ code }) => code === 'SCHEMA')).toBe(true);
    expect(problems[3]?.message).toContain('a GET or HEAD request cannot have a body');
    expect(problems[4]?.message).toBe('an http node needs with.url (node "d")');
  });

  it('reports a wait with no time, two times, or a time that is not one', () => {
    // Act
    const problems = problemsOf({
      none: { type: 'wait' },
      two: { type: 'wait', with: { seconds: 5, duration: '5m' } },
      negative: { type: 'wait', with: { seconds: -5 } },
      zoneless: { type: 'wait', with: { until: '2026-01-31T09:00:00' } },
      long: { type: 'wait', with: { duration: '400d' } },
    });

    // Assess
    expect(problems).toEqual([
      {
        code: 'SCHEMA',
        path: '$.nodes.none.with',
        message: 'a wait node needs exactly one of with.seconds, with.duration or with.until, got none',
      },
      {
        code: 'SCHEMA',
        path: '$.nodes.two.with',
        message:
          'a wait node needs exactly one of with.seconds, with.duration or with.until, got with.seconds and with.duration',
      },
      expect.objectContaining({ path: '$.nodes.negative.with.seconds' }),
      expect.objectContaining({ path: '$.nodes.zoneless.with.until' }),
      expect.objectContaining({ path: '$.nodes.long.with.duration' }),
    ]);
  });

  it('leaves values computed by expressions to run time, and accepts good written values', () => {
    // Act
    const problems = problemsOf({
      get: {
        type: 'http',
        with: { url: '{% $inputs.url %}', method: 'post', body: { id: '{% $inputs.id %}' } },
      },
      pause: { type: 'wait', with: { until: '{% $inputs.at %}' } },
      nap: { type: 'wait', with: { duration: '5m' } },
      fetch: {
        type: 'http',
        with: { url: 'https://example.com/a', headers: { accept: 'application/json' } },
      },
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it('reports a map over more items than the limit, and the bad with values of its template, at their paths', () => {
    // Act
    const problems = problemsOf({
      many: { type: 'map', items: Array.from({ length: 10_001 }, (_, i) => i), node: { type: 'noop' } },
      'get-each': { type: 'map', items: [1], node: { type: 'http', with: { url: 'not a url' } } },
      fine: { type: 'map', items: '{% $inputs.list %}', node: { type: 'wait', with: { duration: '5m' } } },
    });

    // Assess
    expect(problems.map(({ code, path }) => [code, path])).toEqual([
      ['LIMIT', '$.nodes.many.items'],
      ['SCHEMA', '$.nodes["get-each"].node.with.url'],
    ]);
  });
});
