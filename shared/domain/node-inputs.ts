/**
 * The `with` of typed nodes: the schema an `http` node's evaluated `with` must match (its
 * executor parses with it), and the checks validation makes of the values written in the
 * definition, so a bad URL or a wait with two times is reported at `skein validate` and publish,
 * not at run time. A value that holds a `{% %}` expression is only known at run time: it is
 * skipped here and checked by the executor.
 */
import { z } from 'zod';
import { durationSchema, MAX_DURATION_MS, parseDuration } from './duration.ts';
import { findExpressions } from './expressions.ts';
import { LIMITS } from './limits.ts';
import { type Problem, toJsonPath } from './problems.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const httpFields = {
  method: z
    .string()
    .transform((method) => method.toUpperCase())
    .pipe(z.enum(HTTP_METHODS))
    .default('GET'),
  url: z.string().refine((url) => URL.canParse(url), { message: 'expected an absolute http(s) URL' }),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  timeout: durationSchema
    .refine((timeout) => (parseDuration(timeout) ?? 0) > 0, { message: 'expected a timeout above 0' })
    .optional(),
};

const noBodyOnGet = (w: { method?: string; body?: unknown }) =>
  w.body === undefined || (w.method !== 'GET' && w.method !== 'HEAD');
const NO_BODY_ON_GET = {
  message: 'a GET or HEAD request cannot have a body: use POST, PUT or PATCH',
  path: ['body'],
};

/** An `http` node's evaluated `with`: what its executor sends. */
export const httpWithSchema = z.object(httpFields).strict().refine(noBodyOnGet, NO_BODY_ON_GET);

/** The same fields, each optional: what validation checks of the ones written without expressions. */
const staticHttpWith = z.object(httpFields).partial().strict().refine(noBodyOnGet, NO_BODY_ON_GET);

/**
 * Problems in the `with` values written in the definition of `http` and `wait` nodes (values
 * holding an expression are left to run time), each with the JSON path of the value.
 * @example staticInputProblems({ get: { type: 'http', with: { url: 'not a url' } } })
 * // [{ code: 'SCHEMA', path: '$.nodes.get.with.url', message: 'expected an absolute http(s) URL' }]
 */
export function staticInputProblems(nodes: Record<string, Record<string, unknown> | undefined>): Problem[] {
  const problems: Problem[] = [];
  for (const [id, node] of Object.entries(nodes)) {
    const given = node?.with ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) continue;
    const fields = given as Record<string, unknown>;
    if (node?.type === 'http') problems.push(...httpProblems(id, fields));
    if (node?.type === 'wait') problems.push(...waitProblems(id, fields));
    if (node?.type === 'map') problems.push(...mapProblems(id, node));
  }
  return problems;
}

/** A map's literal list beyond the item limit, and its template's own `with` values. */
function mapProblems(id: string, node: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  if (Array.isArray(node.items) && node.items.length > LIMITS.maxMapItems) {
    problems.push({
      code: 'LIMIT',
      message: `map "${id}" lists ${node.items.length} items; the limit is ${LIMITS.maxMapItems}: split the list across maps`,
      path: toJsonPath(['nodes', id, 'items']),
    });
  }
  const template = node.node;
  if (template && typeof template === 'object' && 'type' in template) {
    const own = toJsonPath(['nodes', id]);
    const inTemplate = toJsonPath(['nodes', id, 'node']);
    for (const problem of staticInputProblems({ [id]: template as Record<string, unknown> })) {
      problems.push({ ...problem, path: inTemplate + (problem.path ?? own).slice(own.length) });
    }
  }
  return problems;
}

function httpProblems(id: string, fields: Record<string, unknown>): Problem[] {
  const written = Object.fromEntries(Object.entries(fields).filter(([, value]) => !holdsExpression(value)));
  const parsed = staticHttpWith.safeParse(written);
  const problems: Problem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        code: 'SCHEMA' as const,
        message: `${issue.message} (an http node's with: method, url, headers, body, timeout)`,
        path: toJsonPath([
          'nodes',
          id,
          'with',
          ...issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
        ]),
      }));
  if (!('url' in fields)) {
    problems.push({
      code: 'SCHEMA',
      message: `an http node needs with.url (node "${id}")`,
      path: toJsonPath(['nodes', id, 'with']),
    });
  }
  return problems;
}

const WAIT_KEYS = ['seconds', 'duration', 'until'] as const;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

function waitProblems(id: string, fields: Record<string, unknown>): Problem[] {
  const set = WAIT_KEYS.filter((key) => fields[key] !== undefined);
  const at = (key?: string) => toJsonPath(['nodes', id, 'with', ...(key ? [key] : [])]);
  if (set.length !== 1) {
    const got = set.length === 0 ? 'none' : set.map((key) => `with.${key}`).join(' and ');
    return [
      {
        code: 'SCHEMA',
        message: `a wait node needs exactly one of with.seconds, with.duration or with.until, got ${got}`,
        path: at(),
      },
    ];
  }
  const key = set[0] as (typeof WAIT_KEYS)[number];
  const value = fields[key];
  if (holdsExpression(value)) return [];
  const ok =
    key === 'seconds'
      ? typeof value === 'number' && parseDuration(value) !== undefined
      : key === 'duration'
        ? (typeof value === 'string' || typeof value === 'number') && parseDuration(value) !== undefined
        : typeof value === 'string' && ISO_WITH_ZONE.test(value) && !Number.isNaN(Date.parse(value));
  if (ok) return [];
  const expected = {
    seconds: `a number of seconds from 0 to ${MAX_DURATION_MS / 1000}`,
    duration: 'a duration such as "30s", "5m", "2h" or "1d" (at most 364d)',
    until: 'an ISO time with a zone such as "2026-01-31T09:00:00Z"',
  }[key];
  return [
    {
      code: 'SCHEMA',
      message: `with.${key} must be ${expected}, got ${JSON.stringify(value)}`,
      path: at(key),
    },
  ];
}

/** True when a value (or anything inside it) is a string holding a `{% %}` expression. */
function holdsExpression(value: unknown): boolean {
  if (typeof value === 'string') return findExpressions(value).spans.length > 0 || value.includes('{%');
  if (Array.isArray(value)) return value.some(holdsExpression);
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsExpression);
  return false;
}
