import type { z } from 'zod';
import { type PathSegment, type Problem, toJsonPath } from './problems.ts';
import { didYouMean } from './suggest.ts';

type Issue = z.core.$ZodIssue;

/**
 * Turns zod issues into SCHEMA problems whose messages say what to write instead: a missing
 * field is named, an unknown field gets the closest known one, an unknown node type lists the
 * types, and for a union the closest branch's issues are reported rather than all of them.
 */
export function schemaProblems(
  issues: readonly Issue[],
  data: unknown,
  knownFields: readonly string[],
): Problem[] {
  const out: Problem[] = [];
  const pending: Array<{ issue: Issue; base: PathSegment[] }> = issues.map((issue) => ({ issue, base: [] }));
  while (pending.length > 0) {
    const { issue, base } = pending.shift() as { issue: Issue; base: PathSegment[] };
    const at = [...base, ...(issue.path as PathSegment[])];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = closestBranch(issue.errors);
      pending.unshift(...branch.map((inner) => ({ issue: inner, base: at })));
      continue;
    }
    out.push(...describe(issue, at, data, knownFields));
  }
  return out;
}

function describe(issue: Issue, at: PathSegment[], data: unknown, knownFields: readonly string[]): Problem[] {
  const path = toJsonPath(at);
  const field = at.at(-1);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        code: 'SCHEMA',
        message: `unknown field "${key}"${didYouMean(key, knownFields)}`,
        path: toJsonPath([...at, key]),
      }));
    case 'invalid_type':
      if (valueAt(data, at) === undefined) {
        return [
          { code: 'SCHEMA', message: `missing required field "${String(field)}" (${issue.expected})`, path },
        ];
      }
      return [
        { code: 'SCHEMA', message: `expected ${issue.expected}, got ${kindOf(valueAt(data, at))}`, path },
      ];
    case 'invalid_union':
      if ((issue as { note?: string }).note === 'No matching discriminator') {
        const value = valueAt(data, at);
        const options = (issue as { options?: unknown[] }).options ?? [];
        return [
          {
            code: 'SCHEMA',
            message:
              value === undefined
                ? `missing required field "type"; expected one of ${options.join(', ')}`
                : typeof value === 'string'
                  ? `unknown node type "${value}"${didYouMean(value, options.map(String))}; expected one of ${options.join(', ')}`
                  : // Not String(value): an object's own `toString` may be anything, even a throwing non-function.
                    `the node type must be a string, got ${kindOf(value)}; expected one of ${options.join(', ')}`,
            path,
          },
        ];
      }
      return [{ code: 'SCHEMA', message: issue.message, path }];
    case 'invalid_key':
      return [
        {
          code: 'SCHEMA',
          message: `invalid key "${String(field)}": ${issue.issues[0]?.message ?? issue.message}`,
          path,
        },
      ];
    case 'invalid_value':
      return [
        {
          code: 'SCHEMA',
          message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(data, at))}`,
          path,
        },
      ];
    default:
      return [{ code: 'SCHEMA', message: stripPrefix(issue.message), path }];
  }
}

/** The union branch that needed the fewest fixes, preferring one whose fields were all known. */
function closestBranch(branches: Issue[][]): Issue[] {
  const score = (branch: Issue[]) =>
    branch.length + (branch.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0) ? 100 : 0);
  return branches.reduce((best, branch) => (score(branch) < score(best) ? branch : best));
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const stripPrefix = (message: string) => message.replace(/^Invalid input: /, '');
