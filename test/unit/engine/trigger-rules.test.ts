import { describe, expect, it } from 'vitest';
import { decideTrigger, type TriggerRule } from '../../../shared/engine/trigger-rules.ts';

const PARENTS = ['a', 'b', 'c'];
const none = { failed: [], skipped: [] };

describe('decideTrigger', () => {
  it('runs a root whatever its rule, and an all_done join whatever its parents did', () => {
    // Prepare
    const rules: TriggerRule[] = ['all_success', 'all_done', 'one_success', 'none_failed'];

    // Act
    const roots = rules.map((rule) => decideTrigger(rule, [], none));
    const cleanup = decideTrigger('all_done', PARENTS, { failed: ['a', 'b'], skipped: ['c'] });

    // Assess
    for (const verdict of roots) expect(verdict).toEqual({ run: true });
    expect(cleanup).toEqual({ run: true });
  });

  it('runs an all_success join only when every parent succeeded, naming a failed parent first', () => {
    // Act
    const ok = decideTrigger('all_success', PARENTS, none);
    const failed = decideTrigger('all_success', PARENTS, { failed: ['b'], skipped: ['c'] });
    const skipped = decideTrigger('all_success', PARENTS, { failed: [], skipped: ['c'] });

    // Assess
    expect(ok).toEqual({ run: true });
    expect(failed).toEqual({ run: false, reason: 'parent "b" failed (trigger all_success)' });
    expect(skipped).toEqual({ run: false, reason: 'parent "c" was skipped (trigger all_success)' });
  });

  it('runs a one_success join when at least one parent succeeded', () => {
    // Act
    const one = decideTrigger('one_success', PARENTS, { failed: ['a'], skipped: ['b'] });
    const noneSucceeded = decideTrigger('one_success', PARENTS, { failed: ['a', 'b'], skipped: ['c'] });
    const allSkipped = decideTrigger('one_success', ['a', 'b'], { failed: [], skipped: ['a', 'b'] });

    // Assess
    expect(one).toEqual({ run: true });
    expect(noneSucceeded).toEqual({ run: false, reason: 'no parent succeeded (trigger one_success)' });
    expect(allSkipped).toEqual({ run: false, reason: 'no parent succeeded (trigger one_success)' });
  });

  it('runs a none_failed join with skipped parents but not with a failed one', () => {
    // Act
    const skipped = decideTrigger('none_failed', PARENTS, { failed: [], skipped: ['a', 'b', 'c'] });
    const failed = decideTrigger('none_failed', PARENTS, { failed: ['c'], skipped: ['a'] });

    // Assess
    expect(skipped).toEqual({ run: true });
    expect(failed).toEqual({ run: false, reason: 'parent "c" failed (trigger none_failed)' });
  });

  it('decides a single parent like a join of one', () => {
    // Act
    const verdicts = {
      success: decideTrigger('all_success', ['a'], { failed: ['a'], skipped: [] }),
      none: decideTrigger('none_failed', ['a'], { failed: [], skipped: ['a'] }),
      one: decideTrigger('one_success', ['a'], { failed: [], skipped: ['a'] }),
    };

    // Assess
    expect(verdicts).toEqual({
      success: { run: false, reason: 'parent "a" failed (trigger all_success)' },
      none: { run: true },
      one: { run: false, reason: 'no parent succeeded (trigger one_success)' },
    });
  });
});
