import { Cron } from 'croner';
import { z } from 'zod';
import type { CronSpec, EventSpec, OverlapPolicy } from '../ports/trigger-store.ts';
import { parseDuration } from './duration.ts';
import { parseEventPattern } from './event-pattern.ts';
import { SkeinError } from './problems.ts';

/** A trigger id: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit. */
export const TRIGGER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'allow_all'] as const;

const durationField = z.union([z.number().nonnegative(), z.string()]);

/** The body of `PUT /v1/tenants/{t}/triggers/{id}`: common fields, then the type's own. */
export const triggerBodySchema = z
  .strictObject({
    type: z.enum(['cron', 'webhook', 'event']).meta({ description: 'What fires the trigger.' }),
    workflow: z.string().min(1).max(128).meta({ description: 'The workflow each firing runs.' }),
    version: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: 'A version or range; the latest when absent.' }),
    inputs: z
      .unknown()
      .optional()
      .meta({
        description:
          'The run’s inputs: a template whose `{% %}` JSONata expressions read the firing as `$inputs` ' +
          '(cron: `scheduledAt`, `firedAt`, `triggerId`; webhook: `body`, `headers`, `id`; ' +
          'event: the EventBridge event, `source`, `detail-type`, `detail`, `id`, `time`).',
      }),
    enabled: z
      .boolean()
      .optional()
      .meta({ description: 'A disabled trigger keeps its state but does not fire. @default true' }),
    schedule: z.string().max(256).optional().meta({
      description: 'cron: five fields (minute hour day month weekday) or six (seconds first).',
      example: '0 */5 * * * *',
    }),
    timezone: z.string().max(64).optional().meta({ description: 'cron: IANA time zone. @default UTC' }),
    overlap: z
      .enum(OVERLAP_POLICIES)
      .optional()
      .meta({ description: 'cron: when the previous run is still active. @default skip' }),
    catchupWindow: durationField
      .optional()
      .meta({ description: 'cron: missed firings this recent still run (`10m`). @default 0' }),
    jitter: durationField
      .optional()
      .meta({ description: 'cron: delay each firing by up to this (`30s`). @default 0' }),
    startAt: z.string().max(64).optional().meta({ description: 'cron: no firing before this ISO time.' }),
    endAt: z.string().max(64).optional().meta({ description: 'cron: no firing at or after this ISO time.' }),
    github: z
      .boolean()
      .optional()
      .meta({ description: 'webhook: also accept GitHub’s `X-Hub-Signature-256`.' }),
    pattern: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({
        description:
          'event: an EventBridge event pattern matched against every event on Skein’s bus (exact, prefix, ' +
          'suffix, anything-but, numeric, exists, `$or`...).',
        example: { source: ['skein.tenant.acme'], 'detail-type': ['order.shipped'] },
      }),
  })
  .meta({ id: 'TriggerBody' });

export type TriggerBody = z.infer<typeof triggerBodySchema>;

const CRON_ONLY = ['schedule', 'timezone', 'overlap', 'catchupWindow', 'jitter', 'startAt', 'endAt'] as const;
/** Each type's own fields: another type's field on a body is refused, so a typo in `type` is not silent. */
const OWN_FIELDS = {
  cron: CRON_ONLY,
  webhook: ['github'],
  event: ['pattern'],
} as const satisfies Record<TriggerBody['type'], readonly (keyof TriggerBody)[]>;

const unprocessable = (code: string, message: string, path: string) =>
  new SkeinError(code, message, 'unprocessable', path);

/**
 * The cron part of a trigger body, checked: the expression by croner (five or six fields), the
 * time zone by Intl, durations and dates. Each problem is a 422 naming its field.
 * @example cronSpecOf({ type: 'cron', workflow: 'w', schedule: '0 9 * * 1-5', timezone: 'Europe/London' })
 */
export function cronSpecOf(body: TriggerBody): CronSpec {
  const expression = body.schedule?.trim();
  if (!expression)
    throw unprocessable('INVALID_CRON', 'a cron trigger needs a schedule, e.g. "0 9 * * *"', '$.schedule');
  const fields = expression.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw unprocessable(
      'INVALID_CRON',
      `schedule must have five fields (minute hour day month weekday) or six (seconds first), got ${fields}: "${expression}"`,
      '$.schedule',
    );
  }
  if (body.timezone !== undefined && !isTimeZone(body.timezone)) {
    throw unprocessable(
      'INVALID_TIMEZONE',
      `timezone must be an IANA time zone such as Europe/London, got "${body.timezone}"`,
      '$.timezone',
    );
  }
  try {
    new Cron(expression, { paused: true, ...(body.timezone && { timezone: body.timezone }) });
  } catch (error) {
    throw unprocessable(
      'INVALID_CRON',
      `schedule "${expression}" is not a valid cron expression: ${(error as Error).message}`,
      '$.schedule',
    );
  }
  const startAt = isoField(body.startAt, '$.startAt');
  const endAt = isoField(body.endAt, '$.endAt');
  if (startAt && endAt && endAt <= startAt)
    throw unprocessable('INVALID_TRIGGER', 'endAt must be after startAt', '$.endAt');
  return {
    expression,
    ...(body.timezone !== undefined && { timezone: body.timezone }),
    overlap: (body.overlap ?? 'skip') as OverlapPolicy,
    catchupWindowMs: durationMs(body.catchupWindow, '$.catchupWindow'),
    jitterMs: durationMs(body.jitter, '$.jitter'),
    ...(startAt && { startAt }),
    ...(endAt && { endAt }),
  };
}

/** Refuses another type's fields on a trigger body, naming the first one found (422). */
export function checkOwnFields(body: TriggerBody): void {
  for (const [type, fields] of Object.entries(OWN_FIELDS)) {
    if (type === body.type) continue;
    const stray = fields.find((field) => body[field] !== undefined);
    if (stray)
      throw unprocessable('INVALID_TRIGGER', `${stray} applies to ${type} triggers only`, `$.${stray}`);
  }
}

/**
 * The event part of a trigger body: its pattern, checked as EventBridge checks one (422 naming
 * the first problem's path under `$.pattern`).
 * @example eventSpecOf({ type: 'event', workflow: 'w', pattern: { source: ['shop'] } })
 */
export function eventSpecOf(body: TriggerBody): EventSpec {
  if (body.pattern === undefined)
    throw unprocessable(
      'INVALID_PATTERN',
      'an event trigger needs a pattern, e.g. {"source": ["skein.tenant.acme"]}',
      '$.pattern',
    );
  const parsed = parseEventPattern(body.pattern, ['pattern']);
  if (!parsed.ok) {
    const [first] = parsed.problems;
    throw unprocessable('INVALID_PATTERN', first?.message ?? 'invalid pattern', first?.path ?? '$.pattern');
  }
  return { pattern: body.pattern };
}

/**
 * The fire times of `spec` strictly after `afterMs`, at most `count`, up to `untilMs` (inclusive).
 * Wall-clock times an expression names in a skipped hour (spring forward) fire once, shifted;
 * in a repeated hour (fall back) once, at the first occurrence.
 */
export function fireTimes(
  spec: CronSpec,
  afterMs: number,
  count: number,
  untilMs = Number.POSITIVE_INFINITY,
): number[] {
  const cron = new Cron(spec.expression, {
    paused: true,
    ...(spec.timezone && { timezone: spec.timezone }),
    ...(spec.startAt && { startAt: spec.startAt }),
    ...(spec.endAt && { stopAt: spec.endAt }),
  });
  const times: number[] = [];
  let from = new Date(afterMs);
  while (times.length < count) {
    const next = cron.nextRun(from);
    if (!next || next.getTime() > untilMs) break;
    times.push(next.getTime());
    from = next;
  }
  return times;
}

/** A stable delay in [0, jitterMs) per trigger and firing: the same firing always waits the same. */
export function jitterOf(triggerId: string, scheduledAtMs: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  let hash = 2166136261;
  for (const char of `${triggerId}@${scheduledAtMs}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return (hash >>> 0) % Math.floor(jitterMs);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isoField(value: string | undefined, path: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw unprocessable('INVALID_TRIGGER', `${path.slice(2)} must be an ISO 8601 time, got "${value}"`, path);
  return new Date(ms).toISOString();
}

function durationMs(value: string | number | undefined, path: string): number {
  if (value === undefined) return 0;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw unprocessable(
      'INVALID_DURATION',
      `${path.slice(2)} must be a duration such as 30s, 10m or 1h, got ${JSON.stringify(value)}`,
      path,
    );
  return ms;
}
