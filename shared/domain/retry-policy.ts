import type { NodeDefinition } from './definition-schema.ts';
import { parseDuration } from './duration.ts';
import { type PathSegment, SkeinError, toJsonPath } from './problems.ts';

/** A node's retry settings as written in a definition (`nodes.<id>.retry`, `defaults.retry`). */
export type RetrySettings = NonNullable<NodeDefinition['retry']>;

export interface RetryPolicy {
  /** Attempts in all, the first included: 1 means never retry. */
  maxAttempts: number;
  backoff: 'fixed' | 'exponential';
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: boolean;
  /** Error codes to retry, whatever their `retryable` flag; absent → retry retryable errors. */
  retryOn?: readonly string[];
}

/** No retry; should `maxAttempts` be raised, exponential backoff from 1 s up to 5 min, jittered. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 1,
  backoff: 'exponential',
  initialDelayMs: 1_000,
  maxDelayMs: 300_000,
  jitter: true,
});

type Field = keyof RetrySettings;
type Level = 'node' | 'defaults' | 'builtin';

/**
 * The policy a node runs with: its own `retry` over the definition's `defaults.retry` over
 * {@link DEFAULT_RETRY}, field by field, with durations parsed to milliseconds. Refuses invalid
 * policies (maxAttempts not an integer ≥ 1, bad or negative durations, initialDelay > maxDelay)
 * with a `SkeinError` (`INVALID_RETRY_POLICY`, 400) whose path names the field at fault;
 * node fields are reported under `nodePath` (e.g. `['nodes', 'fetch']`).
 * @example
 * effectiveRetryPolicy({ retry: { maxAttempts: 3 } }, { retry: { backoff: 'fixed' } }, ['nodes', 'fetch'])
 * // → { maxAttempts: 3, backoff: 'fixed', initialDelayMs: 1000, maxDelayMs: 300000, jitter: true }
 */
export function effectiveRetryPolicy(
  node: { readonly retry?: RetrySettings | undefined },
  defaults?: { readonly retry?: RetrySettings | undefined },
  nodePath: readonly PathSegment[] = [],
): RetryPolicy {
  const pick = <F extends Field>(field: F): { value: RetrySettings[F]; level: Level } => {
    if (node.retry?.[field] !== undefined) return { value: node.retry[field], level: 'node' };
    if (defaults?.retry?.[field] !== undefined) return { value: defaults.retry[field], level: 'defaults' };
    return { value: undefined, level: 'builtin' };
  };
  const pathOf = (field: Field, level: Level) =>
    toJsonPath(level === 'node' ? [...nodePath, 'retry', field] : ['defaults', 'retry', field]);
  const fail = (field: Field, level: Level, message: string): never => {
    throw new SkeinError('INVALID_RETRY_POLICY', message, 'invalid', pathOf(field, level));
  };
  const duration = (field: 'initialDelay' | 'maxDelay', fallback: number) => {
    const { value, level } = pick(field);
    if (value === undefined) return { ms: fallback, level };
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    if (ms !== undefined) return { ms, level };
    const got = JSON.stringify(value);
    return fail(
      field,
      level,
      `retry.${field} must be a non-negative duration such as "1s" or "5m", got ${got}`,
    );
  };

  const attempts = pick('maxAttempts');
  const maxAttempts = attempts.value ?? DEFAULT_RETRY.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    fail(
      'maxAttempts',
      attempts.level,
      `retry.maxAttempts must be an integer of at least 1 (1 = no retry), got ${maxAttempts}`,
    );
  }
  const backoff = pick('backoff').value ?? DEFAULT_RETRY.backoff;
  if (backoff !== 'fixed' && backoff !== 'exponential') {
    fail(
      'backoff',
      pick('backoff').level,
      `retry.backoff must be "fixed" or "exponential", got ${JSON.stringify(backoff)}`,
    );
  }
  const initial = duration('initialDelay', DEFAULT_RETRY.initialDelayMs);
  const max = duration('maxDelay', DEFAULT_RETRY.maxDelayMs);
  if (initial.ms > max.ms) {
    // Blame the more specific setting: that is the one the author most likely just changed.
    const [field, level] =
      rank(initial.level) >= rank(max.level)
        ? ['initialDelay' as const, initial.level]
        : ['maxDelay' as const, max.level];
    fail(field, level, `retry.initialDelay (${initial.ms} ms) must not exceed retry.maxDelay (${max.ms} ms)`);
  }

  const policy: RetryPolicy = {
    maxAttempts,
    backoff,
    initialDelayMs: initial.ms,
    maxDelayMs: max.ms,
    jitter: pick('jitter').value ?? DEFAULT_RETRY.jitter,
  };
  const retryOn = pick('retryOn').value;
  if (retryOn !== undefined) policy.retryOn = [...retryOn];
  return policy;
}

const rank = (level: Level) => (level === 'node' ? 2 : level === 'defaults' ? 1 : 0);

export type RetryDecision =
  | { retry: true; delayMs: number; nextAttempt: number }
  | { retry: false; reason: 'attempts_exhausted' | 'not_retryable' | 'code_not_in_retry_on' };

/**
 * Whether to retry after a failed attempt, and after how long.
 * - `attempt` is 1-based: the attempt that just failed. No retry once `attempt >= maxAttempts`
 *   (`attempts_exhausted`, checked first).
 * - With `retryOn`, only errors whose code is listed are retried, whatever their `retryable` flag
 *   (`code_not_in_retry_on`); without it, only `retryable` errors (`not_retryable`).
 * - Delay: `fixed` → initialDelay; `exponential` → initialDelay × 2^(attempt−1); capped at
 *   maxDelay. With `jitter`, "full jitter": a uniform pick in [0, delay) from `random`. Always a
 *   whole number of milliseconds in [0, maxDelay].
 * `random` in [0, 1) comes from the caller (the engine's random port), keeping this pure.
 * @example decideRetry({ ...DEFAULT_RETRY, maxAttempts: 3, jitter: false }, 2, { code: 'TIMEOUT', retryable: true }, 0.5)
 * // → { retry: true, delayMs: 2000, nextAttempt: 3 }
 */
export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  error: { readonly code: string; readonly retryable: boolean },
  random: number,
): RetryDecision {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt is 1-based and must be a positive integer, got ${attempt}`);
  }
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  if (policy.retryOn) {
    if (!policy.retryOn.includes(error.code)) return { retry: false, reason: 'code_not_in_retry_on' };
  } else if (!error.retryable) {
    return { retry: false, reason: 'not_retryable' };
  }
  return { retry: true, delayMs: retryDelay(policy, attempt, random), nextAttempt: attempt + 1 };
}

function retryDelay(policy: RetryPolicy, attempt: number, random: number): number {
  const initial = Math.max(0, policy.initialDelayMs);
  const cap = Math.max(0, policy.maxDelayMs);
  // Guard 0 × 2^n, which is NaN once 2^n overflows to Infinity.
  const grown = policy.backoff === 'fixed' || initial === 0 ? initial : initial * 2 ** (attempt - 1);
  const capped = Math.min(grown, cap);
  const factor = policy.jitter ? Math.min(Math.max(Number.isFinite(random) ? random : 0, 0), 1) : 1;
  return Math.max(0, Math.floor(capped * factor));
}
