/**
 * EventBridge event patterns, checked and matched in code: `event` triggers match events on
 * Skein's bus with this one matcher on AWS (one rule forwards every event to the trigger queue)
 * and locally, so both behave alike (see ARCHITECTURE.md, "Event triggers").
 *
 * The documented semantics (EventBridge "Event patterns", "Content filtering"):
 * - a pattern is an object; every field it names must match (AND); a leaf is a non-empty array of
 *   matchers, any of which may match (OR); `$or` takes a list of patterns, any of which may match;
 * - matchers: a string, number, boolean or `null` (exact, case-sensitive; numbers compare as
 *   numbers and never match strings), `{prefix}`, `{suffix}` (either may be
 *   `{"equals-ignore-case": ...}`), `{"equals-ignore-case"}`, `{wildcard}` (`*` for any run of
 *   characters), `{"anything-but": value | [values] | {prefix} | {suffix} | {"equals-ignore-case"}}`,
 *   `{numeric: [op, n]}` or `{numeric: [">"|">=", a, "<"|"<=", b]}`, `{exists: true|false}`;
 * - a field missing from the event matches only `{exists: false}` (also when its parent is
 *   missing); a field whose value is an array matches when any element does; a nested pattern
 *   over an array of objects matches when one element matches all of it.
 */
import { z } from 'zod';
import { type PathSegment, type Problem, toJsonPath } from './problems.ts';

/** A checked pattern: what {@link parseEventPattern} returns and {@link matchesEventPattern} takes. */
export type EventPattern = {
  readonly [field: string]: EventPattern | readonly Matcher[] | readonly EventPattern[];
};

type Literal = string | number | boolean | null;
type Matcher = Literal | Readonly<Record<string, unknown>>;

const ignoreCase = z.object({ 'equals-ignore-case': z.string() }).strict();
const textOrIgnoreCase = z.union([z.string(), ignoreCase]);
const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);
const numeric = z.array(z.union([z.string(), z.number()])).refine((spec) => numericShape(spec), {
  message:
    'numeric is ["=", n], [op, n] with op one of <, <=, >, >=, or [">"|">=", low, "<"|"<=", high] with low < high',
});
const scalarList = z.union([z.array(z.string()).min(1), z.array(z.number()).min(1)]);

/** One schema per matcher key: a matcher object has exactly one key. */
const MATCHERS: Readonly<Record<string, z.ZodType>> = {
  prefix: textOrIgnoreCase,
  suffix: textOrIgnoreCase,
  'equals-ignore-case': z.string(),
  wildcard: z.string().min(1),
  exists: z.boolean(),
  numeric,
  'anything-but': z.union([
    z.string(),
    z.number(),
    scalarList,
    z.object({ prefix: z.string().min(1) }).strict(),
    z.object({ suffix: z.string().min(1) }).strict(),
    z.object({ 'equals-ignore-case': z.union([z.string(), z.array(z.string()).min(1)]) }).strict(),
  ]),
};

/** Deeper patterns are refused: a matcher walks them for every event. */
const MAX_DEPTH = 10;

/**
 * Checks a pattern and returns it, or every problem with its JSON path (under `base`, e.g.
 * `['pattern']` for a trigger body's `$.pattern`), ready for a 422.
 * @example parseEventPattern({ source: ['shop'], detail: { total: [{ numeric: ['>', 100] }] } }) // { ok: true, pattern }
 */
export function parseEventPattern(
  input: unknown,
  base: readonly PathSegment[] = [],
): { ok: true; pattern: EventPattern } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  checkObject(input, [...base], problems, 0);
  return problems.length === 0 ? { ok: true, pattern: input as EventPattern } : { ok: false, problems };
}

function problem(problems: Problem[], path: readonly PathSegment[], message: string): void {
  problems.push({ code: 'SCHEMA', message, path: toJsonPath(path) });
}

function checkObject(input: unknown, path: PathSegment[], problems: Problem[], depth: number): void {
  if (!isObject(input)) {
    problem(problems, path, 'an event pattern is a JSON object of fields');
    return;
  }
  if (depth > MAX_DEPTH) {
    problem(problems, path, `patterns nest at most ${MAX_DEPTH} objects deep`);
    return;
  }
  const entries = Object.entries(input);
  if (entries.length === 0) problem(problems, path, 'an event pattern names at least one field');
  for (const [key, value] of entries) {
    const at = [...path, key];
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        problem(problems, at, '$or takes a list of at least two patterns');
        continue;
      }
      for (const [index, alternative] of value.entries()) {
        checkObject(alternative, [...at, index], problems, depth + 1);
      }
    } else if (Array.isArray(value)) {
      if (value.length === 0) problem(problems, at, 'a field lists at least one value or matcher');
      for (const [index, matcher] of value.entries()) checkMatcher(matcher, [...at, index], problems);
    } else if (isObject(value)) {
      checkObject(value, at, problems, depth + 1);
    } else {
      problem(problems, at, `a field's values are a list: write [${JSON.stringify(value)}]`);
    }
  }
}

function checkMatcher(matcher: unknown, path: PathSegment[], problems: Problem[]): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (!isObject(matcher)) {
    problem(problems, path, 'a value is a string, number, boolean, null or a matcher');
    return;
  }
  const keys = Object.keys(matcher);
  const [key] = keys;
  const schema = key === undefined ? undefined : MATCHERS[key];
  if (keys.length !== 1 || key === undefined || schema === undefined) {
    problem(
      problems,
      path,
      `a matcher is an object with one of ${Object.keys(MATCHERS).join(', ')}; got {${keys.join(', ')}}`,
    );
    return;
  }
  const parsed = schema.safeParse(matcher[key]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problem(problems, [...path, key, ...(issue.path as PathSegment[])], `${key}: ${issue.message}`);
    }
  }
}

function numericShape(spec: readonly (string | number)[]): boolean {
  const [op, a, op2, b] = spec;
  if (spec.length === 2) return typeof a === 'number' && ['=', '<', '<=', '>', '>='].includes(String(op));
  return (
    spec.length === 4 &&
    LOWER.has(String(op)) &&
    UPPER.has(String(op2)) &&
    typeof a === 'number' &&
    typeof b === 'number' &&
    a < b
  );
}

/**
 * Whether `event` (an EventBridge event: `source`, `detail-type`, `detail`, ...) matches a
 * pattern checked by {@link parseEventPattern}.
 * @example matchesEventPattern({ detail: { total: [{ numeric: ['>', 100] }] } }, { detail: { total: 250 } }) // true
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: EventPattern, value: unknown): boolean {
  const object = isObject(value) ? value : undefined;
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(sub as readonly EventPattern[]).some((alternative) => matchObject(alternative, value)))
        return false;
      continue;
    }
    const field = object?.[key];
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub as readonly Matcher[], field)) return false;
    } else if (Array.isArray(field)) {
      if (!field.some((element) => isObject(element) && matchObject(sub as EventPattern, element)))
        return false;
    } else if (!matchObject(sub as EventPattern, field)) {
      return false;
    }
  }
  return true;
}

function matchLeaf(matchers: readonly Matcher[], field: unknown): boolean {
  if (field === undefined) return matchers.some((matcher) => isObject(matcher) && matcher.exists === false);
  if (isObject(field)) return false;
  const values: readonly unknown[] = Array.isArray(field) ? field : [field];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return matcher.exists === true;
    return values.some((value) => matchValue(matcher, value));
  });
}

function matchValue(matcher: Matcher, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [[key, spec]] = Object.entries(matcher) as [[string, unknown]];
  switch (key) {
    case 'prefix':
      return typeof value === 'string' && affix(spec, value, (v, s) => v.startsWith(s));
    case 'suffix':
      return typeof value === 'string' && affix(spec, value, (v, s) => v.endsWith(s));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(spec).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(String(spec)).test(value);
    case 'numeric':
      return typeof value === 'number' && inRange(spec as readonly (string | number)[], value);
    case 'anything-but':
      return anythingBut(spec, value);
    default:
      return false;
  }
}

function affix(spec: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof spec === 'string') return test(value, spec);
  const folded = String((spec as Record<string, unknown>)['equals-ignore-case']).toLowerCase();
  return test(value.toLowerCase(), folded);
}

function anythingBut(spec: unknown, value: unknown): boolean {
  if (Array.isArray(spec)) return !spec.includes(value);
  if (!isObject(spec)) return spec !== value;
  if (typeof value !== 'string') return false;
  if (typeof spec.prefix === 'string') return !value.startsWith(spec.prefix);
  if (typeof spec.suffix === 'string') return !value.endsWith(spec.suffix);
  const folded = ([] as unknown[]).concat(spec['equals-ignore-case']).map((one) => String(one).toLowerCase());
  return !folded.includes(value.toLowerCase());
}

function inRange(spec: readonly (string | number)[], value: number): boolean {
  for (let index = 0; index < spec.length; index += 2) {
    const bound = spec[index + 1] as number;
    const ok = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[String(spec[index]) as '='];
    if (!ok) return false;
  }
  return true;
}

const wildcards = new Map<string, RegExp>();

function wildcard(spec: string): RegExp {
  let regex = wildcards.get(spec);
  if (regex === undefined) {
    const source = spec
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${source}$`, 's');
    if (wildcards.size < 1000) wildcards.set(spec, regex);
  }
  return regex;
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
