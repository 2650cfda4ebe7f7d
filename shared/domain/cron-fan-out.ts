/**
 * Sub-minute cron on AWS. EventBridge Scheduler fires at most once a minute, so a six-field
 * trigger's schedule fires every matching minute with the seconds field in its message; the
 * trigger handler turns that one message into one message per second that matches, each sent to
 * the trigger queue with `DelaySeconds` up to its second and carrying its own `scheduledAt`.
 * `*\/10 * * * * *` so fires six times a minute on AWS, as croner fires it locally.
 */
import { Cron } from 'croner';
import { z } from 'zod';

/**
 * A cron trigger's firing as it travels on the trigger queue. Scheduler sends it with
 * `scheduledAt` = `<aws.scheduler.scheduled-time>` (the whole minute) and, for a six-field
 * expression, `seconds` (the seconds field); the fanned-out messages have no `seconds`.
 */
export const cronFiringSchema = z
  .object({
    kind: z.literal('cron'),
    tenant: z.string().min(1),
    triggerId: z.string().min(1),
    scheduledAt: z.iso.datetime({ offset: true }),
    seconds: z.string().min(1).optional(),
  })
  .strict();

export type CronFiring = z.infer<typeof cronFiringSchema>;

/** One message of a fan-out: the body for the trigger queue and its `DelaySeconds`. */
export interface FannedOutFiring {
  readonly firing: CronFiring;
  readonly delaySeconds: number;
}

/** SQS DelaySeconds maximum (a fan-out never needs more than 59). */
const MAX_DELAY_SECONDS = 900;
const MINUTE_MS = 60_000;

/**
 * The second-by-second firings of a minute's `firing`: one per second of the minute of
 * `scheduledAt` that `firing.seconds` (croner's syntax) matches, each delayed until its second as
 * seen from `nowMs` (0 when already past: a late message fires at once, with the time it was due).
 * A firing without `seconds` is returned as is, undelayed.
 * @example
 * fanOutSeconds({ kind: 'cron', tenant: 'acme', triggerId: 't', scheduledAt: '2026-01-01T10:05:00Z', seconds: '*\/20' }, Date.parse('2026-01-01T10:05:01Z'))
 * // scheduledAt 10:05:00, 10:05:20, 10:05:40 with delaySeconds 0, 19, 39
 */
export function fanOutSeconds(firing: CronFiring, nowMs: number): FannedOutFiring[] {
  const { seconds, ...single } = firing;
  if (seconds === undefined) return [{ firing: single, delaySeconds: 0 }];
  const minuteMs = Math.floor(Date.parse(firing.scheduledAt) / MINUTE_MS) * MINUTE_MS;
  // The other fields are `*`: only the seconds vary within a minute the schedule already matched.
  const cron = new Cron(`${seconds} * * * * *`, { timezone: 'UTC' });
  const out: FannedOutFiring[] = [];
  let after = new Date(minuteMs - 1);
  for (;;) {
    const next = cron.nextRun(after);
    if (next === null || next.getTime() >= minuteMs + MINUTE_MS) break;
    const delay = Math.ceil((next.getTime() - nowMs) / 1000);
    out.push({
      firing: { ...single, scheduledAt: next.toISOString() },
      delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, delay)),
    });
    after = next;
  }
  return out;
}
