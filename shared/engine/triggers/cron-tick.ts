import { SkeinError } from '../../domain/problems.ts';
import { fireTimes, jitterOf } from '../../domain/trigger-spec.ts';
import type { OverlapPolicy } from '../../ports/trigger-store.ts';
import { iso, type TriggerDeps } from './deps.ts';
import { drainBuffered, type FireResult, fireCron } from './fire.ts';
import { ownTrigger } from './manage.ts';

/**
 * A firing late by up to this much still fires even with no `catchupWindow`: the scheduler's own
 * slack (a busy event loop, a slow store), not a missed firing.
 */
export const MISFIRE_GRACE_MS = 10_000;
/** Firings one tick handles at most; the rest wait for the next tick. */
const MAX_PER_TICK = 100;
/** Firings one backfill starts at most. */
export const MAX_BACKFILL = 1_000;

export interface TickResult {
  /** Firings handled by this tick, oldest first. */
  readonly fired: FireResult[];
  /** When the trigger next wants a tick (epoch ms); undefined when it has no future firing. */
  readonly wakeAt?: number;
}

/**
 * Handles what is due of one cron trigger at the clock's now: starts a buffered firing whose
 * run's predecessor ended, then fires every scheduled time since the last one handled, with
 * jitter; times missed by more than `catchupWindow` (at least {@link MISFIRE_GRACE_MS}) are
 * passed over. Returns when to tick again. Safe to call twice: firings are idempotent.
 * @example const { wakeAt } = await tickCron(deps, 'acme', 'nightly');
 */
export async function tickCron(deps: TriggerDeps, tenant: string, triggerId: string): Promise<TickResult> {
  let record = await deps.triggers.get(tenant, triggerId);
  if (!record?.cron || !record.enabled) return { fired: [] };
  const fired: FireResult[] = [];
  if (record.buffered?.length) {
    const drained = await drainBuffered(deps, record);
    if (drained.outcome !== 'ignored') fired.push(drained);
    record = (await deps.triggers.get(tenant, triggerId)) ?? record;
  }
  const spec = record.cron;
  if (!spec) return { fired };
  const now = deps.clock.now();
  const cursor = Date.parse(record.lastScheduledAt ?? record.updatedAt);
  // Lateness counts from each firing's due time (its scheduled time plus its jitter).
  const allowance = Math.max(spec.catchupWindowMs, MISFIRE_GRACE_MS);
  const from = Math.max(cursor, now - allowance - spec.jitterMs - 1);
  let last = from;
  let count = 0;
  for (const at of fireTimes(spec, from, MAX_PER_TICK, now)) {
    const due = at + jitterOf(triggerId, at, spec.jitterMs);
    if (due > now) break;
    last = at;
    if (now - due > allowance) continue; // missed by more than the catch-up window
    fired.push(await fireCron(deps, tenant, triggerId, at));
    count++;
  }
  if (last > cursor && count === 0) {
    // Everything between the cursor and the catch-up window was missed: move past it.
    await deps.triggers.update(tenant, triggerId, { lastScheduledAt: iso(last) });
  }
  const [next] = fireTimes(spec, last, 1);
  const buffered = ((await deps.triggers.get(tenant, triggerId))?.buffered?.length ?? 0) > 0;
  const wake = next === undefined ? undefined : next + jitterOf(triggerId, next, spec.jitterMs);
  // A buffered firing waits for a run to end, which nothing announces here: look again soon.
  const wakeAt = buffered ? Math.min(wake ?? Number.POSITIVE_INFINITY, now + 1_000) : wake;
  return { fired, ...(wakeAt !== undefined && { wakeAt }) };
}

/**
 * Replays the scheduled times in [from, to] of a cron trigger, oldest first, each with its own
 * idempotency key (a time already fired is a `duplicate`, not a second run). Backfills ignore
 * `enabled` and do not move the schedule's cursor. `overlap` defaults to `allow_all`.
 */
export async function backfill(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
  request: { from: string; to: string; overlap?: OverlapPolicy },
): Promise<FireResult[]> {
  const record = await ownTrigger(deps, tenant, triggerId);
  if (!record.cron)
    throw new SkeinError(
      'NOT_CRON',
      `trigger "${triggerId}" is not a cron trigger`,
      'unprocessable',
      '$.type',
    );
  const from = timeOf(request.from, '$.from');
  const to = timeOf(request.to, '$.to');
  if (to < from) throw new SkeinError('INVALID_RANGE', 'to must not be before from', 'unprocessable', '$.to');
  if (to > deps.clock.now())
    throw new SkeinError(
      'INVALID_RANGE',
      'to must not be in the future: the schedule fires those',
      'unprocessable',
      '$.to',
    );
  const times = fireTimes(record.cron, from - 1, MAX_BACKFILL + 1, to);
  if (times.length > MAX_BACKFILL) {
    throw new SkeinError(
      'BACKFILL_TOO_LARGE',
      `the range holds more than ${MAX_BACKFILL} firings; split it`,
      'unprocessable',
      '$.to',
    );
  }
  const results: FireResult[] = [];
  for (const at of times) {
    results.push(
      await fireCron(deps, tenant, triggerId, at, {
        overlap: request.overlap ?? 'allow_all',
        moveCursor: false,
      }),
    );
  }
  return results;
}

function timeOf(value: string, path: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new SkeinError(
      'SCHEMA',
      `${path.slice(2)} must be an ISO 8601 time, got "${value}"`,
      'invalid',
      path,
    );
  return ms;
}
