import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseSource, sourceFormatOf } from '../../shared/domain/source.ts';

describe('parseSource', () => {
  it('reads YAML to the same value as the careful parser, for any JSON-like document', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = stringify({ doc: value });
        const parsed = parseSource(text, 'yaml');
        // Compared as JSON: the two parsers may disagree on -0 vs 0, which JSON does not tell apart.
        expect(parsed.problems).toEqual([]);
        expect(JSON.stringify(parsed.value)).toBe(JSON.stringify(parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps dates and version-like scalars as strings', () => {
    const { value } = parseSource('when: 2026-01-01\nversion: 1.10\ntag: 1.2.3\n', 'yaml');
    expect(value).toEqual({ when: '2026-01-01', version: 1.1, tag: '1.2.3' });
  });

  it('lists every duplicate key in YAML with its path', () => {
    const { problems } = parseSource('a: 1\na: 2\nb:\n  c: 1\n  c: 2\n', 'yaml');
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['DUPLICATE_KEY', '$.a'],
      ['DUPLICATE_KEY', '$.b.c'],
    ]);
  });

  it('lists every duplicate key in JSON with its path, including inside arrays', () => {
    const { problems } = parseSource('{"a": [{"x": 1, "x": 2}], "b": {"y": 1, "y": 2}}', 'json');
    expect(problems.map((p) => p.path)).toEqual(['$.a[0].x', '$.b.y']);
  });

  it('bounds alias expansion (billion laughs) instead of exhausting memory', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9)
          .fill(`*${'abcdefghi'[i - 1]}`)
          .join(',')}]`,
      );
    const { value, problems } = parseSource(levels.join('\n'), 'yaml');
    expect(value).toBeUndefined();
    expect(problems[0]?.code).toBe('PARSE');
  });

  it('still resolves a few aliases', () => {
    expect(parseSource('base: &r {maxAttempts: 3}\nother: *r\n', 'yaml').value).toEqual({
      base: { maxAttempts: 3 },
      other: { maxAttempts: 3 },
    });
  });

  it('refuses several documents in one source', () => {
    expect(parseSource('a: 1\n---\nb: 2\n', 'yaml').problems[0]?.code).toBe('PARSE');
  });

  it('picks JSON from a file name or media type and YAML otherwise', () => {
    expect(
      ['a.json', 'application/json', 'application/vnd.api+json', 'a.yaml', 'text/yaml', undefined].map(
        sourceFormatOf,
      ),
    ).toEqual(['json', 'json', 'json', 'yaml', 'yaml', 'yaml']);
  });
});
