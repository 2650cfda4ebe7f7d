import { z } from 'zod';
import { MAX_LABEL_LENGTH } from '../engine/api-keys.ts';

/** Request and response schemas of the key routes; `/openapi.json` is generated from these. */

const labelMessage = `label must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;

export const createKeyBodySchema = z
  .strictObject({
    label: z
      .string({ error: labelMessage })
      .min(1, labelMessage)
      .max(MAX_LABEL_LENGTH, labelMessage)
      .optional()
      .meta({ description: 'A note kept with the key, shown by listings (who or what uses it).' }),
  })
  .meta({ id: 'CreateApiKey' });

export const apiKeySummarySchema = z
  .object({
    keyId: z.string().meta({ description: 'The key’s public id: lists, shows and revokes it.' }),
    label: z.string().optional(),
    createdAt: z.string(),
    lastUsedAt: z
      .string()
      .optional()
      .meta({ description: 'When the key last authenticated a request (recorded at most every 5 minutes).' }),
    current: z.boolean().meta({ description: 'True for the key that made this request.' }),
  })
  .meta({ id: 'ApiKeySummary' });

export const apiKeyPageSchema = z.object({
  items: z.array(apiKeySummarySchema),
  cursor: z.string().optional(),
});

export const apiKeyCreatedSchema = z
  .object({
    keyId: z.string(),
    key: z.string().meta({ description: 'The key itself, shown this once: only its hash is stored.' }),
    label: z.string().optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'ApiKeyCreated' });

export const keyIdParam = z
  .string()
  .meta({ param: { name: 'keyId', in: 'path' }, example: '01J9Z3K4Q8W5E6R7T8Y9U0I1O2' });
