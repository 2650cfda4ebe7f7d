import type { z } from 'zod';
import { definitionSchema, inputSchema, nodeSchema, retrySchema } from './definition-schema.ts';

const keysOf = (schema: { shape: z.ZodRawShape }) => Object.keys(schema.shape);

/** Every field name the format knows: the pool that "did you mean" suggestions come from. */
export const KNOWN_FIELDS: readonly string[] = [
  ...new Set([
    ...keysOf(definitionSchema),
    ...keysOf(retrySchema),
    ...nodeSchema.options.flatMap((option) => keysOf(option)),
    ...keysOf(inputSchema),
  ]),
];
