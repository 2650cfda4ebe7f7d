import { z } from 'zod';
import { OVERLAP_POLICIES } from '../domain/trigger-spec.ts';

/** Response and request schemas of the trigger routes; `/openapi.json` is generated from these. */

export const triggerIdParam = z.string().meta({ param: { name: 'id', in: 'path' }, example: 'nightly' });
export const hookIdParam = z
  .string()
  .meta({ param: { name: 'hook', in: 'path' }, example: '01jh3zk5q8n4x6y7z8a9b0c1d2' });

const firingSchema = z
  .object({
    key: z
      .string()
      .meta({ description: 'The idempotency key of the run the firing started (or would have).' }),
    at: z.string(),
    firedAt: z.string(),
    outcome: z.enum(['started', 'duplicate', 'skipped', 'buffered', 'failed']),
    runId: z.string().optional(),
    scheduledAt: z.string().optional(),
    deliveryId: z.string().optional(),
    eventId: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'TriggerFiring' });

export const triggerViewSchema = z
  .object({
    tenant: z.string(),
    triggerId: z.string(),
    type: z.enum(['cron', 'webhook', 'event']),
    workflow: z.string(),
    version: z.string().optional(),
    inputs: z.unknown().optional(),
    enabled: z.boolean(),
    cron: z
      .object({
        expression: z.string(),
        timezone: z.string().optional(),
        overlap: z.enum(OVERLAP_POLICIES),
        catchupWindowMs: z.number(),
        jitterMs: z.number(),
        startAt: z.string().optional(),
        endAt: z.string().optional(),
      })
      .optional(),
    event: z
      .object({ pattern: z.record(z.string(), z.unknown()) })
      .optional()
      .meta({ description: 'event: the pattern matched against Skein’s bus.' }),
    definedBy: z
      .object({ workflow: z.string(), version: z.string(), digest: z.string() })
      .optional()
      .meta({ description: 'Kept by the `triggers:` of this version of its workflow’s definition.' }),
    webhook: z
      .object({
        url: z.string().meta({ description: 'The path to POST deliveries to: `/v1/hooks/{hook}`.' }),
        github: z.boolean(),
      })
      .optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastScheduledAt: z.string().optional(),
    nextFireTimes: z.array(z.string()).optional().meta({ description: 'cron: the next 5 fire times.' }),
    buffered: z.number().int().optional().meta({ description: 'Firings waiting for the active run to end.' }),
    firings: z
      .array(firingSchema)
      .optional()
      .meta({ description: 'The last firings, newest first (GET only).' }),
    secret: z.string().optional().meta({
      description: 'A new webhook trigger’s secret (`whsec_…`), in the PUT’s answer only: store it then.',
    }),
  })
  .meta({ id: 'Trigger' });

export const triggerPageSchema = z.object({
  items: z.array(triggerViewSchema),
  cursor: z.string().optional(),
});

export const fireResultSchema = z
  .object({
    outcome: z.enum(['started', 'duplicate', 'skipped', 'buffered', 'failed', 'ignored']),
    runId: z.string().optional(),
    key: z.string().optional(),
  })
  .meta({ id: 'TriggerFireResult' });

export const backfillBodySchema = z
  .strictObject({
    from: z
      .string()
      .max(64)
      .meta({ description: 'ISO time: the first scheduled time replayed is at or after it.' }),
    to: z.string().max(64).meta({ description: 'ISO time, not in the future: the last is at or before it.' }),
    overlap: z.enum(OVERLAP_POLICIES).optional().meta({ description: '@default allow_all' }),
  })
  .meta({ id: 'TriggerBackfill' });

export const backfillResultSchema = z.object({ firings: z.array(fireResultSchema) });

export const hookAcceptedSchema = z
  .object({
    runId: z.string(),
    created: z.boolean().meta({ description: 'False for a replayed delivery: the first run’s id.' }),
  })
  .meta({ id: 'HookAccepted' });
