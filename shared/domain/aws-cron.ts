/**
 * Unix cron (what triggers are written in, what croner runs locally) to EventBridge Scheduler's
 * `cron(min hour dom month dow year)`. The two differ in ways that matter:
 * - AWS wants `?` in day-of-month or day-of-week, and cannot say "either" (Vixie cron, and croner,
 *   fire when *either* a restricted day-of-month or a restricted day-of-week matches), so an
 *   expression restricting both is refused;
 * - AWS numbers weekdays 1-7 from Sunday, Unix 0-7 (0 and 7 Sunday): weekdays are written as
 *   names (`SUN`-`SAT`), which both read the same; `L` and `#` keep AWS numbers (`6L`, `2#1`);
 * - steps over a range (`10-40/10`) are written out as lists, `*\/n` becomes `<first>/n`.
 * A six-field expression (seconds first) converts its minute part; the seconds are fanned out by
 * the trigger handler (`cron-fan-out.ts`).
 */
import { SkeinError } from './problems.ts';

/** An expression AWS cron cannot say (a 422 at `$.expression`); `field` names the offending part. */
export class AwsCronError extends SkeinError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('CRON_UNSUPPORTED_ON_AWS', message, 'unprocessable', '$.expression');
    this.name = 'AwsCronError';
  }
}

export interface AwsCron {
  /** `cron(min hour dom month dow year)`, for `ScheduleExpression`. */
  readonly expression: string;
  /** The seconds field of a six-field expression; absent for five fields. */
  readonly seconds?: string;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
/** Unix 0-7; 7 is Sunday again. */
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 0, max: 7, names: WEEKDAYS };

const WILDCARDS = new Set(['*', '?']);

/**
 * Converts a five- or six-field Unix cron expression to Scheduler's syntax, or throws
 * {@link AwsCronError} saying what AWS cannot express and how to rewrite it.
 * @example toAwsCron('*\/15 9-17 * * 1-5') // { expression: 'cron(0/15 9-17 ? * MON-FRI *)' }
 * @example toAwsCron('*\/10 * * * * *') // { expression: 'cron(* * * * ? *)', seconds: '*\/10' }
 */
export function toAwsCron(unix: string): AwsCron {
  const fields = unix.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new AwsCronError(
      `a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields.length} in ${JSON.stringify(unix)}`,
      'expression',
    );
  }
  const seconds = fields.length === 6 ? fields[0] : undefined;
  if (seconds !== undefined) field(seconds, { name: 'second', min: 0, max: 59 });
  const [minute, hour, dom, month, dow] = fields.slice(fields.length - 5) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const anyDom = WILDCARDS.has(dom);
  const anyDow = WILDCARDS.has(dow);
  if (!anyDom && !anyDow) {
    throw new AwsCronError(
      `EventBridge Scheduler cannot restrict both day-of-month (${dom}) and day-of-week (${dow}); ` +
        'cron fires when either matches: use two triggers, one per field, or set one of them to *',
      'day-of-month',
    );
  }
  const parts = [
    field(minute, MINUTE),
    field(hour, HOUR),
    anyDom ? (anyDow ? '*' : '?') : dayOfMonth(dom),
    field(month, MONTH),
    anyDow ? '?' : dayOfWeek(dow),
    '*',
  ];
  return { expression: `cron(${parts.join(' ')})`, ...(seconds !== undefined && { seconds }) };
}

function refuse(spec: FieldSpec, value: string, why: string): never {
  throw new AwsCronError(`${spec.name} ${JSON.stringify(value)}: ${why}`, spec.name);
}

/** A number or (month, weekday) name within the field's bounds. */
function numberOf(spec: FieldSpec, token: string, whole: string): number {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + (spec === MONTH ? 1 : 0);
  if (!/^\d{1,2}$/.test(token)) refuse(spec, whole, `"${token}" is not a number or a name`);
  const value = Number(token);
  if (value < spec.min || value > spec.max) {
    refuse(spec, whole, `${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

/** One comma-separated item as a list of values (steps expanded), or a range to keep as is. */
interface Item {
  readonly values: readonly number[];
  /** `a-b` without a step: kept as a range. */
  readonly range?: readonly [number, number];
  /** `*\/n` or `a/n`: kept as `start/n`. */
  readonly step?: readonly [number, number];
}

function item(spec: FieldSpec, part: string, whole: string): Item {
  const [base = '', stepText, extra] = part.split('/');
  if (extra !== undefined || base === '') refuse(spec, whole, `"${part}" is not a value, range or step`);
  let step: number | undefined;
  if (stepText !== undefined) {
    if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) {
      refuse(spec, whole, `the step "${stepText}" must be a whole number of at least 1`);
    }
    step = Number(stepText);
  }
  const last = spec === DAY_OF_WEEK ? 6 : spec.max;
  let from: number;
  let to: number;
  if (WILDCARDS.has(base)) [from, to] = [spec.min, last];
  else if (base.includes('-')) {
    const [a = '', b = ''] = base.split('-');
    from = numberOf(spec, a, whole);
    to = numberOf(spec, b, whole);
    if (from > to) refuse(spec, whole, `the range ${base} runs backwards; write it as two ranges`);
  } else {
    from = numberOf(spec, base, whole);
    to = step === undefined ? from : last;
  }
  const values: number[] = [];
  for (let value = from; value <= to; value += step ?? 1) values.push(value);
  if (values.length === 0) refuse(spec, whole, `"${part}" matches no ${spec.name}`);
  if (step !== undefined && !base.includes('-')) return { values, step: [from, step] };
  if (step === undefined && base.includes('-')) return { values, range: [from, to] };
  return { values };
}

/** Minute, hour, month: the same syntax on both sides, but steps over ranges written out. */
function field(text: string, spec: FieldSpec): string {
  if (text === '*') return '*';
  return text
    .split(',')
    .map((part) => {
      const parsed = item(spec, part, text);
      if (parsed.step) return `${parsed.step[0]}/${parsed.step[1]}`;
      if (parsed.range) return `${parsed.range[0]}-${parsed.range[1]}`;
      return parsed.values.join(',');
    })
    .join(',');
}

function dayOfMonth(text: string): string {
  if (/^(L|LW|\d{1,2}W)$/i.test(text)) {
    if (/^\d/.test(text)) numberOf(DAY_OF_MONTH, text.slice(0, -1), text);
    return text.toUpperCase();
  }
  if (/[LW]/i.test(text)) {
    refuse(DAY_OF_MONTH, text, '"L", "LW" and "<day>W" stand alone on AWS, not in a list');
  }
  return field(text, DAY_OF_MONTH);
}

/** AWS weekday number (1 = Sunday) of a Unix token (0 or 7 = Sunday, or a name). */
const awsWeekday = (token: string, whole: string): number => (numberOf(DAY_OF_WEEK, token, whole) % 7) + 1;

function dayOfWeek(text: string): string {
  const last = /^(\w+)L$/i.exec(text);
  if (last?.[1] !== undefined) return `${awsWeekday(last[1], text)}L`;
  const nth = /^(\w+)#([1-5])$/.exec(text);
  if (nth?.[1] !== undefined) return `${awsWeekday(nth[1], text)}#${nth[2]}`;
  if (/[L#]/i.test(text)) {
    refuse(DAY_OF_WEEK, text, '"<day>L" and "<day>#<n>" (n 1-5) stand alone on AWS, not in a list');
  }
  const out: string[] = [];
  for (const part of text.split(',')) {
    const parsed = item(DAY_OF_WEEK, part, text);
    if (parsed.range) {
      const [from, to] = parsed.range;
      // 7 is Sunday again: `5-7` is FRI-SAT and SUN.
      if (to === 7) {
        out.push(from === 7 ? 'SUN' : `${WEEKDAYS[from]}-SAT`, 'SUN');
        continue;
      }
      out.push(from === to ? (WEEKDAYS[from] as string) : `${WEEKDAYS[from]}-${WEEKDAYS[to]}`);
      continue;
    }
    for (const value of parsed.values) out.push(WEEKDAYS[value % 7] as string);
  }
  return [...new Set(out)].join(',');
}
