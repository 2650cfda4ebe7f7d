import type { NodeDefinition } from '../domain/definition-schema.ts';
import { MAX_DURATION_MS, parseDuration } from '../domain/duration.ts';
import type { ExecutionError, ExecutionResult, Executor } from '../ports/executor.ts';
import { failure } from '../ports/executor.ts';

export type WaitNode = Extract<NodeDefinition, { type: 'wait' }>;

export type WaitPlan =
  | { readonly ok: true; readonly resumeAt: number }
  | { readonly ok: false; readonly error: ExecutionError };

// An ISO 8601 date-time with an explicit zone, so "until" never depends on the worker's time zone.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

const invalid = (message: string): WaitPlan => ({
  ok: false,
  error: { code: 'WAIT_INVALID', message, retryable: false },
});

/**
 * When a `wait` node may resume, from its evaluated `with`: exactly one of `seconds` (a number),
 * `duration` (`"5m"`, `"1.5h"`, ...) or `until` (an ISO time with a zone). Pure: the engine passes
 * the time and schedules the wake-up; an `until` in the past resumes at once (`resumeAt = nowMs`).
 * @example waitUntil({ duration: '5m' }, 0) // { ok: true, resumeAt: 300_000 }
 */
export function waitUntil(inputs: unknown, nowMs: number): WaitPlan {
  const given = typeof inputs === 'object' && inputs !== null ? (inputs as Record<string, unknown>) : {};
  const set = (['seconds', 'duration', 'until'] as const).filter((key) => given[key] !== undefined);
  if (set.length !== 1) {
    const got = set.length === 0 ? 'none' : set.map((key) => `with.${key}`).join(' and ');
    return invalid(`a wait node needs exactly one of with.seconds, with.duration or with.until, got ${got}`);
  }
  const { seconds, duration, until } = given;
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || parseDuration(seconds) === undefined) {
      return invalid(
        `with.seconds must be a number of seconds from 0 to ${MAX_DURATION_MS / 1000}, got ${JSON.stringify(seconds)}`,
      );
    }
    return { ok: true, resumeAt: nowMs + seconds * 1000 };
  }
  if (duration !== undefined) {
    const ms =
      typeof duration === 'string' || typeof duration === 'number' ? parseDuration(duration) : undefined;
    if (ms === undefined) {
      return invalid(
        `with.duration must be a duration such as "30s", "5m", "2h" or "1d" (at most 364d), got ${JSON.stringify(duration)}`,
      );
    }
    return { ok: true, resumeAt: nowMs + ms };
  }
  const at = typeof until === 'string' && ISO_WITH_ZONE.test(until) ? Date.parse(until) : Number.NaN;
  if (Number.isNaN(at)) {
    return invalid(
      `with.until must be an ISO time with a zone such as "2026-01-31T09:00:00Z", got ${JSON.stringify(until)}`,
    );
  }
  if (at - nowMs > MAX_DURATION_MS) {
    return invalid(`with.until must be at most 364 days ahead, got ${JSON.stringify(until)}`);
  }
  return { ok: true, resumeAt: Math.max(at, nowMs) };
}

/**
 * A placeholder so `wait` is a registered type: the engine never executes a wait node, it parks it
 * as `WAITING` and schedules a timer at `waitUntil(inputs, now).resumeAt`. Reaching `execute` is a
 * wiring mistake, reported as a non-retryable failure.
 * @example await new WaitExecutor().execute(request) // { kind: 'failed', error: { code: 'WAIT_NOT_SCHEDULED', ... } }
 */
export class WaitExecutor implements Executor<WaitNode> {
  readonly type = 'wait';

  async execute(): Promise<ExecutionResult> {
    return failure('WAIT_NOT_SCHEDULED', 'wait nodes are scheduled by the engine, not executed', false);
  }
}
