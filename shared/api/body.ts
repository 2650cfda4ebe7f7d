import type { Context } from 'hono';
import { type Problem, SkeinError } from '../domain/problems.ts';
import { parseSource, type SourceFormat } from '../domain/source.ts';

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/i;
const YAML_TYPES = /^(?:application|text)\/(?:x-)?yaml$/i;

/** Which parser a request body needs, from its Content-Type (JSON when absent). */
export function bodyFormat(c: Context): SourceFormat {
  const type = (c.req.header('content-type') ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (JSON_TYPES.test(type)) return 'json';
  if (YAML_TYPES.test(type)) return 'yaml';
  throw new SkeinError(
    'UNSUPPORTED_MEDIA_TYPE',
    `content type "${type}" is not accepted; send application/json or application/yaml`,
    415,
  );
}

/** The raw body text and its format; an empty body is a 400. */
export async function readText(c: Context): Promise<{ text: string; format: SourceFormat }> {
  const format = bodyFormat(c);
  const text = await c.req.text();
  if (text.trim() === '')
    throw new SkeinError('EMPTY_BODY', 'the request body is empty; send a JSON or YAML document');
  return { text, format };
}

/** Reads a JSON or YAML body; a body that does not parse is a 400 listing what is wrong and where. */
export async function readBody(c: Context): Promise<unknown> {
  const { text, format } = await readText(c);
  const parsed = parseSource(text, format);
  if (parsed.problems.length > 0) throw bodyError(parsed.problems);
  return parsed.value;
}

/** A body that could not be read as a document, named after its first problem: 413 when too large, else 400. */
export function bodyError(problems: readonly Problem[]): SkeinError {
  const first = problems[0];
  const code = first?.code ?? 'PARSE';
  return new SkeinError(
    code,
    first?.message ?? 'unreadable body',
    code === 'LIMIT' ? 413 : 400,
    first?.path,
    problems,
  );
}
