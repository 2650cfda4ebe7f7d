import { describe, expect, it } from 'vitest';
import { jsonNestingProblem, nestingOf, parseJsonBounded } from '../../shared/domain/bounded-parse.ts';
import { LIMITS } from '../../shared/domain/limits.ts';
import { parseSource } from '../../shared/domain/source.ts';

const nestedArrays = (depth: number, leaf = '') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** `a:` nested by indentation: block mappings, `depth` levels. */
const nestedBlockMaps = (depth: number) =>
  `${Array.from({ length: depth }, (_, level) => `${' '.repeat(level)}a:`).join('\n')} 1\n`;
const LEAKS = /call stack|RangeError|allocation/i;

describe('parseSource on deeply nested input', () => {
  it('refuses YAML flow sequences 1,000 deep with a LIMIT problem and its position (used to abort Node)', () => {
    // Act
    const { value, problems } = parseSource(nestedArrays(1000), 'yaml');

    // Assess
    expect(value).toBeUndefined();
    expect(problems).toEqual([
      {
        code: 'LIMIT',
        message: expect.stringContaining('more than 256 levels deep (at line 1, column 257)'),
        path: '$',
      },
    ]);
  });

  it.each([
    ['arrays 5,000', nestedArrays(5000)],
    ['arrays 10,000', nestedArrays(10_000)],
    ['objects 5,000', nestedObjects(5000)],
    ['objects 10,000', nestedObjects(10_000)],
  ])('refuses JSON of %s levels without overflowing the duplicate-key scan', (_what, text) => {
    // Act
    const { value, problems } = parseSource(text, 'json');

    // Assess
    expect(value).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'LIMIT', path: '$' });
    expect(problems[0]?.message).toContain('the limit is 256');
  });

  it.each([
    ['compact block sequences', `${'- '.repeat(5000)}x`],
    ['flow mappings', `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}`],
    ['indented block mappings', nestedBlockMaps(400)],
    ['an unclosed flow sequence', '['.repeat(100_000)],
  ])('never leaks the engine’s words for YAML of %s', (_what, text) => {
    // Act
    const { problems } = parseSource(text, 'yaml');

    // Assess
    expect(problems[0]).toMatchObject({ code: 'LIMIT', path: '$' });
    for (const problem of problems) expect(problem.message).not.toMatch(LEAKS);
  });

  it('refuses aliases that nest a deep list inside another one deeper than the text does', () => {
    // Prepare: each line is 200 deep, the alias puts one inside the other: 400.
    const text = `a: &a ${nestedArrays(200)}\nb: ${nestedArrays(200, '*a')}\n`;

    // Act
    const { value, problems } = parseSource(text, 'yaml');

    // Assess
    expect(value).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ code: 'LIMIT', path: '$' })]);
  });

  it.each([
    ['JSON arrays', nestedArrays(LIMITS.maxNestingDepth, '1'), 'json'],
    ['JSON objects', nestedObjects(LIMITS.maxNestingDepth), 'json'],
    ['YAML flow sequences', nestedArrays(LIMITS.maxNestingDepth, '1'), 'yaml'],
    ['YAML compact block sequences', `${'- '.repeat(LIMITS.maxNestingDepth)}x`, 'yaml'],
    ['YAML indented block mappings', nestedBlockMaps(LIMITS.maxNestingDepth), 'yaml'],
  ] as const)('reads %s nested exactly to the limit', (_what, text, format) => {
    // Act
    const { value, problems } = parseSource(text, format);

    // Assess
    expect(problems).toEqual([]);
    expect(nestingOf(value)).toBe(LIMITS.maxNestingDepth);
  });

  it('refuses one level more than the limit, in JSON and in YAML', () => {
    // Prepare
    const text = nestedArrays(LIMITS.maxNestingDepth + 1);

    // Act
    const results = [parseSource(text, 'json'), parseSource(text, 'yaml')];

    // Assess
    for (const { problems } of results) expect(problems[0]?.code).toBe('LIMIT');
  });
});

describe('jsonNestingProblem', () => {
  it('ignores brackets inside strings, escaped quotes included', () => {
    // Prepare
    const text = JSON.stringify({ a: `\\"${'['.repeat(1000)}`, b: ['{'.repeat(1000)] });

    // Act / Assess
    expect(jsonNestingProblem(text)).toBeUndefined();
  });

  it('reports the line and column of the first bracket past the limit', () => {
    // Act
    const problem = jsonNestingProblem('{\n  "a": [[[1]]]\n}', 3);

    // Assess
    expect(problem?.message).toContain('(at line 2, column 10)');
  });
});

describe('parseJsonBounded', () => {
  it('parses JSON within the limit', () => {
    expect(parseJsonBounded('{"a":[1,{"b":null}]}')).toEqual({ ok: true, value: { a: [1, { b: null }] } });
  });

  it('refuses deep JSON before parsing it, and names invalid JSON', () => {
    // Act
    const deep = parseJsonBounded(nestedArrays(10_000));
    const invalid = parseJsonBounded('{"a":');

    // Assess
    expect(deep).toMatchObject({ ok: false, problem: { code: 'LIMIT' } });
    expect(invalid).toMatchObject({ ok: false, problem: { code: 'PARSE', path: '$' } });
  });
});

describe('nestingOf', () => {
  it('counts arrays and objects, not scalars', () => {
    expect([nestingOf(1), nestingOf([]), nestingOf({ a: [1, { b: 2 }] })]).toEqual([0, 1, 3]);
  });

  it('measures a value of shared subtrees (2^40 paths) in linear time', () => {
    // Prepare
    let value: unknown = [1];
    for (let level = 0; level < 40; level++) value = [value, value];

    // Act / Assess
    expect(nestingOf(value)).toBe(41);
  });

  it('calls a circular value too deep', () => {
    // Prepare
    const circular: unknown[] = [];
    circular.push(circular);

    // Act / Assess
    expect(nestingOf([circular])).toBeGreaterThan(LIMITS.maxNestingDepth);
  });
});
