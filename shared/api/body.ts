import type { Context } from 'hono';
import type { z } from 'zod';
import { LIMITS } from '../domain/limits.ts';
import { type PathSegment, type Problem, SkeinError, toJsonPath } from '../domain/problems.ts';
import { parseSource, type SourceFormat } from '../domain/source.ts';
import { didYouMean } from '../domain/suggest.ts';

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/i;
const YAML_TYPES = /^(?:application|text)\/(?:x-)?yaml$/i;

/** Which parser a request body needs, from its Content-Type (JSON when absent). */
function bodyFormat(c: Context): SourceFormat {
  const type = (c.req.header('content-type') ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (JSON_TYPES.test(type)) return 'json';
  if (YAML_TYPES.test(type)) return 'yaml';
  throw new SkeinError(
    'UNSUPPORTED_MEDIA_TYPE',
    `content type "${type}" is not accepted; send application/json or application/yaml`,
    415,
  );
}

/** The raw body text and its format; an empty body is a 400, one over 1 MB a 413. */
export async function readText(c: Context): Promise<{ text: string; format: SourceFormat }> {
  const format = bodyFormat(c);
  const text = await bodyText(c);
  if (text.trim() === '')
    throw new SkeinError('EMPTY_BODY', 'the request body is empty; send a JSON or YAML document');
  return { text, format };
}

/**
 * Reads a JSON or YAML body; a body that does not parse (bad syntax, duplicate keys, nested
 * deeper than 256 levels) is a 400 listing what is wrong and where. Every body goes through
 * `parseSource`, whose nesting checks run before any recursive parser.
 */
export async function readBody(c: Context): Promise<unknown> {
  const { text, format } = await readText(c);
  const parsed = parseSource(text, format);
  if (parsed.problems.length > 0) throw bodyError(parsed.problems);
  return parsed.value;
}

/** A body that could not be read as a document: a 400 named after its first problem, all of them listed. */
export function bodyError(problems: readonly Problem[]): SkeinError {
  const first = problems[0];
  return new SkeinError(
    first?.code ?? 'PARSE',
    first?.message ?? 'unreadable body',
    400,
    first?.path,
    problems,
  );
}

/**
 * Reads an optional JSON or YAML body: an empty body (or a document that is only comments or
 * `null`) is `{}`. A body that does not parse is a 400 like `readBody`.
 */
export async function readOptionalBody(c: Context): Promise<unknown> {
  const text = await bodyText(c);
  if (text.trim() === '') return {};
  const parsed = parseSource(text, bodyFormat(c));
  if (parsed.problems.length > 0) throw bodyError(parsed.problems);
  return parsed.value ?? {};
}

/** The body as text; the app's body-limit middleware stops most large bodies before this. */
async function bodyText(c: Context): Promise<string> {
  const text = await c.req.text();
  if (
    text.length > LIMITS.maxDefinitionBytes &&
    Buffer.byteLength(text, 'utf8') > LIMITS.maxDefinitionBytes
  ) {
    throw new SkeinError('TOO_LARGE', `the body is over ${LIMITS.maxDefinitionBytes} bytes (1 MB)`, 413);
  }
  return text;
}

/**
 * Checks a parsed body against a strict zod object schema; the first problem is a 400 `SCHEMA`
 * with its JSON path (`$.wait`), every problem is listed in `errors`. A body that is not an object
 * and unknown fields (with a "did you mean") are reported the same way.
 */
export function parseBody<T extends z.ZodObject>(schema: T, body: unknown): z.infer<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = Array.isArray(body) ? 'an array' : body === null ? 'null' : `a ${typeof body}`;
    throw new SkeinError('SCHEMA', `the body must be an object of fields, got ${got}`, 400, '$');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields = Object.keys(schema.shape);
  const problems: Problem[] = result.error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') {
      const path = toJsonPath(issue.path as PathSegment[]);
      return [{ code: 'SCHEMA' as const, message: issue.message, path }];
    }
    const top = issue.path.length === 0;
    return issue.keys.map((key) => ({
      code: 'SCHEMA' as const,
      message: top
        ? `unknown field "${key}"${didYouMean(key, fields)} (the fields are ${fields.join(', ')})`
        : `unknown field "${key}"`,
      path: toJsonPath([...(issue.path as PathSegment[]), key]),
    }));
  });
  const [first] = problems;
  throw new SkeinError('SCHEMA', first?.message ?? 'invalid body', 400, first?.path ?? '$', problems);
}
