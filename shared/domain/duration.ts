import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * The longest duration a definition may give (a run timeout, a wait, a retry delay): 364 days,
 * so a run's active life and its node items' expiry stay within a year (`maxRunDays` 365).
 */
export const MAX_DURATION_MS = 364 * UNIT_MS.d;

/**
 * Parses `500ms`, `30s`, `5m`, `2h`, `1d`, or a number of seconds, into milliseconds; undefined
 * for anything else, and for durations over {@link MAX_DURATION_MS}.
 * @example parseDuration('1.5m') === 90_000
 */
export function parseDuration(value: string | number): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  else {
    const match = DURATION.exec(value.trim());
    const [, amount, unit] = match ?? [];
    ms = amount === undefined ? undefined : Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** A duration as written in a definition: `30s`, `5m`, or a number of seconds. */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string()])
  .refine((value) => parseDuration(value) !== undefined, {
    message:
      'expected a duration such as "500ms", "30s", "5m", "2h", "1d" or a number of seconds, at most 364d',
  })
  .meta({ description: 'A duration: "500ms", "30s", "5m", "2h", "1d", or a number of seconds.' });
