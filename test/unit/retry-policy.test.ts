import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SkeinError } from '../../shared/domain/problems.ts';
import {
  DEFAULT_RETRY,
  decideRetry,
  effectiveRetryPolicy,
  type RetryPolicy,
} from '../../shared/domain/retry-policy.ts';

const retryable = { code: 'TIMEOUT', retryable: true };
const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  ...DEFAULT_RETRY,
  maxAttempts: 5,
  jitter: false,
  ...overrides,
});

const thrown = (act: () => unknown): SkeinError => {
  try {
    act();
  } catch (error) {
    if (error instanceof SkeinError) return error;
  }
  throw new Error('expected a SkeinError');
};

describe('effectiveRetryPolicy', () => {
  it('uses the built-in default when nothing is set: no retry', () => {
    // Act
    const result = effectiveRetryPolicy({});

    // Assess
    expect(result).toEqual({ ...DEFAULT_RETRY });
    expect(result.maxAttempts).toBe(1);
  });

  it('merges node over definition defaults over built-in, field by field, parsing durations', () => {
    // Prepare
    const node = { retry: { maxAttempts: 4, initialDelay: '500ms' } };
    const defaults = {
      retry: { maxAttempts: 2, backoff: 'fixed' as const, maxDelay: 30, retryOn: ['HTTP_503'] },
    };

    // Act
    const result = effectiveRetryPolicy(node, defaults);

    // Assess
    expect(result).toEqual({
      maxAttempts: 4,
      backoff: 'fixed',
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      jitter: true,
      retryOn: ['HTTP_503'],
    });
  });

  it('refuses maxAttempts below 1, naming the node field', () => {
    // Act
    const error = thrown(() =>
      effectiveRetryPolicy({ retry: { maxAttempts: 0 } }, undefined, ['nodes', 'fetch']),
    );

    // Assess
    expect(error).toMatchObject({
      code: 'INVALID_RETRY_POLICY',
      kind: 'invalid',
      path: '$.nodes.fetch.retry.maxAttempts',
    });
  });

  it('refuses a negative delay, naming the defaults field it came from', () => {
    // Act
    const error = thrown(() => effectiveRetryPolicy({}, { retry: { initialDelay: -1 } }, ['nodes', 'fetch']));

    // Assess
    expect(error.path).toBe('$.defaults.retry.initialDelay');
    expect(error.message).toContain('non-negative duration');
  });

  it('refuses an initial delay over the max delay, blaming the more specific setting', () => {
    // Act
    const nodeMax = thrown(() =>
      effectiveRetryPolicy({ retry: { maxDelay: '1s' } }, { retry: { initialDelay: '2s' } }, ['nodes', 'x']),
    );
    const nodeInitial = thrown(() =>
      effectiveRetryPolicy({ retry: { initialDelay: '10m' } }, {}, ['nodes', 'x']),
    );

    // Assess
    expect(nodeMax.path).toBe('$.nodes.x.retry.maxDelay');
    expect(nodeInitial.path).toBe('$.nodes.x.retry.initialDelay');
    expect(nodeInitial.message).toContain('must not exceed retry.maxDelay (300000 ms)');
  });
});

describe('decideRetry', () => {
  it('stops once the attempt that failed is the last allowed', () => {
    // Act
    const decision = decideRetry(policy({ maxAttempts: 3 }), 3, retryable, 0.5);

    // Assess
    expect(decision).toEqual({ retry: false, reason: 'attempts_exhausted' });
  });

  it('does not retry an error that is not retryable when retryOn is absent', () => {
    // Act
    const decision = decideRetry(policy(), 1, { code: 'BAD_INPUT', retryable: false }, 0.5);

    // Assess
    expect(decision).toEqual({ retry: false, reason: 'not_retryable' });
  });

  it('retries only listed codes when retryOn is set, whatever the retryable flag', () => {
    // Prepare
    const listed = policy({ retryOn: ['HTTP_429'] });

    // Act
    const unlisted = decideRetry(listed, 1, retryable, 0.5);
    const listedButFlaggedFinal = decideRetry(listed, 1, { code: 'HTTP_429', retryable: false }, 0.5);

    // Assess
    expect(unlisted).toEqual({ retry: false, reason: 'code_not_in_retry_on' });
    expect(listedButFlaggedFinal).toEqual({ retry: true, delayMs: 1_000, nextAttempt: 2 });
  });

  it('doubles exponential delays from the initial delay and caps them at the max delay', () => {
    // Prepare
    const exponential = policy({ maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 10_000 });

    // Act
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => decideRetry(exponential, attempt, retryable, 0.5));

    // Assess
    expect(delays.map((d) => (d.retry ? d.delayMs : -1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
    expect(delays.map((d) => (d.retry ? d.nextAttempt : -1))).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('waits the initial delay every time with fixed backoff', () => {
    // Prepare
    const fixed = policy({ backoff: 'fixed', initialDelayMs: 750 });

    // Act
    const delays = [1, 2, 3, 4].map((attempt) => decideRetry(fixed, attempt, retryable, 0.9));

    // Assess
    expect(delays.map((d) => (d.retry ? d.delayMs : -1))).toEqual([750, 750, 750, 750]);
  });

  it('scales the delay by the random number with full jitter, rounding down', () => {
    // Prepare
    const jittered = policy({ jitter: true, initialDelayMs: 1_000 });

    // Act
    const low = decideRetry(jittered, 2, retryable, 0);
    const mid = decideRetry(jittered, 2, retryable, 0.5);
    const high = decideRetry(jittered, 2, retryable, 0.9999);

    // Assess
    expect([low, mid, high].map((d) => (d.retry ? d.delayMs : -1))).toEqual([0, 1_000, 1_999]);
  });

  it('refuses an attempt number that is not a positive integer', () => {
    // Act / Assess
    expect(() => decideRetry(policy(), 0, retryable, 0.5)).toThrow(RangeError);
  });

  describe('properties', () => {
    const policyArb: fc.Arbitrary<RetryPolicy> = fc
      .record({
        maxAttempts: fc.integer({ min: 1, max: 100 }),
        backoff: fc.constantFrom('fixed' as const, 'exponential' as const),
        initialDelayMs: fc.integer({ min: 0, max: 3_600_000 }),
        extraMaxMs: fc.integer({ min: 0, max: 86_400_000 }),
        jitter: fc.boolean(),
      })
      .map(({ extraMaxMs, ...rest }) => ({ ...rest, maxDelayMs: rest.initialDelayMs + extraMaxMs }));
    const attemptArb = fc.integer({ min: 1, max: 2_000 });
    const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

    it('always picks a whole delay between 0 and the max delay', () => {
      fc.assert(
        fc.property(policyArb, attemptArb, randomArb, (p, attempt, random) => {
          const decision = decideRetry(p, attempt, retryable, random);
          if (!decision.retry) return;
          expect(Number.isInteger(decision.delayMs)).toBe(true);
          expect(decision.delayMs).toBeGreaterThanOrEqual(0);
          expect(decision.delayMs).toBeLessThanOrEqual(p.maxDelayMs);
        }),
      );
    });

    it('never lets exponential delays shrink as attempts grow, without jitter', () => {
      fc.assert(
        fc.property(policyArb, attemptArb, (raw, attempt) => {
          const p = { ...raw, backoff: 'exponential' as const, jitter: false, maxAttempts: attempt + 2 };
          const now = decideRetry(p, attempt, retryable, 0);
          const next = decideRetry(p, attempt + 1, retryable, 0);
          if (!now.retry || !next.retry) throw new Error('expected both attempts to retry');
          expect(next.delayMs).toBeGreaterThanOrEqual(now.delayMs);
        }),
      );
    });

    it('never retries at or beyond maxAttempts', () => {
      fc.assert(
        fc.property(policyArb, fc.nat(50), fc.boolean(), randomArb, (p, beyond, flag, random) => {
          const decision = decideRetry(p, p.maxAttempts + beyond, { code: 'X', retryable: flag }, random);
          expect(decision).toEqual({ retry: false, reason: 'attempts_exhausted' });
        }),
      );
    });
  });
});
