import { z } from 'zod';
import { LOG_LEVELS } from '../ports/attempt-logs.ts';

/** `?attempt=N` of `GET .../nodes/{node}/logs`. */
export const nodeLogsQuerySchema = z.object({
  attempt: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .meta({ description: 'The attempt (1-based). Default: the latest.' }),
});

export const logLineSchema = z
  .object({
    ts: z.string().meta({ description: 'When the script printed the line (ISO 8601).' }),
    level: z.enum(LOG_LEVELS).meta({ description: '`console.debug` is `log`; Lua `print` is `log`.' }),
    message: z.string(),
  })
  .meta({ id: 'LogLine' });

export const nodeLogsSchema = z
  .object({
    node: z.string(),
    attempt: z.number().int(),
    lines: z.array(logLineSchema),
    truncated: z
      .boolean()
      .meta({ description: 'The attempt printed more than 64 KB; the last line says where it was cut.' }),
  })
  .meta({ id: 'NodeLogs' });
