import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses `500ms`, `30s`, `5m`, `2h`, `1d`, or a number of seconds, into milliseconds.
 * @example parseDuration('1.5m') === 90_000
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

/** A duration as written in a definition: `30s`, `5m`, or a number of seconds. */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string()])
  .refine((value) => parseDuration(value) !== undefined, {
    message: 'expected a duration such as "500ms", "30s", "5m", "2h", "1d" or a number of seconds',
  })
  .meta({ description: 'A duration: "500ms", "30s", "5m", "2h", "1d", or a number of seconds.' });
