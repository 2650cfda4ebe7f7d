import type { z } from 'zod';
import { SkeinError, toJsonPath } from '../domain/problems.ts';

/** Parses query parameters with a zod schema; a bad one is a 400 naming the parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? 'query');
  throw new SkeinError(
    'INVALID_QUERY',
    `query parameter "${name}": ${issue?.message ?? 'invalid'}`,
    'invalid',
    toJsonPath(['query', name]),
  );
}
