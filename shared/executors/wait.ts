import type { NodeDefinition } from '../domain/definition-schema.ts';
import { MAX_DURATION_MS, parseDuration } from '../domain/duration.ts';
import {
  type ExecutionError,
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  succeeded,
} from '../ports/executor.ts';

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
 * `duration` (`"5m"`, `"1.5h"`, ...) or `until` (an ISO time with a zone). Pure: the caller passes
 * the time; an `until` in the past resumes at once (`resumeAt = nowMs`).
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
 * The `wait` kind: suspends the node until the time its evaluated `with` names (`waitUntil`),
 * holding no worker (a queue delay, or the timer beyond 15 minutes). The claim that wakes it
 * runs it again with `ctx.wakeAt` set, and it succeeds with the time it resumed; a time already
 * past succeeds at once. A `with` that names no valid time fails the node whatever its retry
 * policy (`final`): it would name none on the next attempt either.
 * @example await new WaitExecutor().execute({ node, inputs: { duration: '5m' }, ctx }) // { kind: 'suspend-until', at: ctx.now + 300_000 }
 */
export class WaitExecutor implements Executor<WaitNode> {
  readonly type = 'wait';
  readonly inline = true;
  readonly suspends = true;

  async execute({ inputs, ctx }: ExecutionRequest<WaitNode>): Promise<ExecutionResult> {
    const resumed = succeeded({ resumedAt: new Date(ctx.now).toISOString() });
    if (ctx.wakeAt !== undefined) return resumed;
    const plan = waitUntil(inputs, ctx.now);
    if (!plan.ok) return { kind: 'failed', error: plan.error, final: true };
    return plan.resumeAt <= ctx.now ? resumed : { kind: 'suspend-until', at: plan.resumeAt };
  }
}
