import { z } from 'zod';

/** Schemas of the event routes (`routes/events.ts`). */

const commaList = z
  .string()
  .max(2048)
  .transform((raw) =>
    raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .optional();

export const eventStreamQuerySchema = z.object({
  workflow: commaList.meta({ description: 'Comma-separated workflow ids.' }),
  type: commaList.meta({ description: 'Comma-separated event types, e.g. run.failed,node.failed.' }),
  severity: commaList.meta({ description: 'Comma-separated severities: info, warning, error, critical.' }),
  run: commaList.meta({ description: 'Comma-separated run ids.' }),
});

export const runEventSchema = z
  .object({
    type: z.string(),
    severity: z.enum(['info', 'warning', 'error', 'critical']),
    tenant: z.string().optional(),
    workflow: z.string().optional(),
    version: z.string().optional(),
    runId: z.string(),
    nodeId: z.string().optional(),
    time: z.string(),
    attempt: z.number().optional(),
    error: z.object({ code: z.string(), message: z.string(), nodeId: z.string().optional() }).optional(),
    reason: z.string().optional(),
    token: z.string().optional(),
    durationMs: z.number().optional(),
  })
  .meta({ id: 'RunEvent' });

export const runEventListSchema = z.object({ items: z.array(runEventSchema) });
