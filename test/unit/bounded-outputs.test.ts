import { describe, expect, it } from 'vitest';
import { parseInputs, UsageError } from '../../cli/run-options.ts';
import { LIMITS } from '../../shared/domain/limits.ts';
import { boundedOutput } from '../../shared/ports/executor.ts';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = [value];
  return value;
};

describe('boundedOutput', () => {
  it.each([
    ['just over the limit', LIMITS.maxNestingDepth + 1],
    ['deep enough to overflow JSON.stringify', 100_000],
  ])('fails an output nested %s with OUTPUT_TOO_DEEP naming the node', (_what, depth) => {
    // Act
    const result = boundedOutput('deep', nested(depth), LIMITS.maxOutputBytes);

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'OUTPUT_TOO_DEEP', retryable: false } });
    expect(result.kind === 'succeeded' || result.error.message).toMatch(
      /node "deep" returned a value nested more than 256/,
    );
    expect(result.kind === 'succeeded' || result.error.message).not.toMatch(/call stack/i);
  });

  it('keeps an output nested exactly to the limit', () => {
    // Act
    const result = boundedOutput('ok', nested(LIMITS.maxNestingDepth), LIMITS.maxOutputBytes);

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: nested(LIMITS.maxNestingDepth) });
  });
});

describe('parseInputs (skein run)', () => {
  it('refuses --inputs-json and --input values nested too deeply as usage errors', () => {
    // Prepare
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;

    // Act / Assess
    expect(() => parseInputs([], `{"a":${deep}}`)).toThrow(UsageError);
    expect(() => parseInputs([], `{"a":${deep}}`)).toThrow(/--inputs-json: .*more than 256 levels/);
    expect(() => parseInputs([`a=${deep}`], undefined)).toThrow(/--input "a": .*more than 256 levels/);
  });

  it('still reads JSON values and falls back to strings', () => {
    expect(parseInputs(['n=3', 'name=Ada', 'list=[1,[2]]'], '{"x":true}')).toEqual({
      x: true,
      n: 3,
      name: 'Ada',
      list: [1, [2]],
    });
  });
});
