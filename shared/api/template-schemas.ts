import { z } from 'zod';
import { publishedSchema } from './schemas.ts';

/** Request and response schemas of the template and generate routes; `/openapi.json` is generated from these. */

export const templateIdParam = z.string().meta({ param: { name: 'id', in: 'path' }, example: 'nightly-etl' });

const variableSchema = z
  .object({
    type: z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array']),
    required: z.boolean().optional(),
    default: z.unknown().optional(),
    enum: z.array(z.unknown()).optional(),
    description: z.string().optional(),
  })
  .meta({ id: 'TemplateVariable', description: 'Declared and checked like a run input.' });

const suggestionSchema = z
  .object({
    id: z.string(),
    body: z.record(z.string(), z.unknown()),
  })
  .meta({
    id: 'TemplateSuggestion',
    description: 'A trigger or subscription to create: its id and PUT body.',
  });

export const templateSummarySchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    variables: z.record(z.string(), variableSchema),
    suggests: z.object({ triggers: z.number().int(), subscriptions: z.number().int() }).meta({
      description: 'Triggers its definition declares (created on publishing) and subscriptions it suggests.',
    }),
  })
  .meta({ id: 'TemplateSummary' });

export const templateSchema = templateSummarySchema
  .omit({ suggests: true })
  .extend({
    definition: z.record(z.string(), z.unknown()).meta({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows the placeholder syntax
      description: 'The definition with ${name} placeholders (${workflow} is the workflow id).',
    }),
    triggers: z.array(suggestionSchema).meta({
      description:
        'Declared in the instantiated definition’s `triggers:` (without `workflow`), created by publishing.',
    }),
    subscriptions: z.array(suggestionSchema),
  })
  .meta({ id: 'Template' });

export const instantiateBodySchema = z
  .strictObject({
    workflow: z
      .string()
      .max(80)
      .optional()
      .meta({ description: 'The workflow id. @default the template id' }),
    version: z.string().max(64).optional().meta({
      description: 'The version to publish. @default 1.0.0, or the next minor after the latest',
    }),
    variables: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Variable values; the declared defaults fill the rest.' }),
  })
  .meta({ id: 'InstantiateTemplate' });

const suggestedSchema = suggestionSchema.extend({
  path: z.string().meta({ description: 'Where to PUT the body to create it.' }),
});

export const instantiatedSchema = publishedSchema
  .extend({
    template: z.string(),
    variables: z.record(z.string(), z.unknown()),
    suggested: z.object({ subscriptions: z.array(suggestedSchema) }).meta({
      description:
        'Not created: PUT each body to its path to create it (the triggers are in the definition’s `triggers:`, created by publishing).',
    }),
  })
  .meta({ id: 'Instantiated' });

export const generateBodySchema = z
  .strictObject({
    prompt: z.string().trim().min(1).max(8000).meta({ description: 'What the workflow should do.' }),
    model: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .meta({ description: 'The model. @default the deployment’s' }),
    format: z.enum(['yaml', 'json']).optional().meta({ description: 'Of `definition`. @default yaml' }),
  })
  .meta({ id: 'Generate' });

export const generatedSchema = z
  .object({
    definition: z.string().meta({ description: 'The definition as text, valid; not published.' }),
    format: z.enum(['yaml', 'json']),
    rounds: z.number().int().meta({ description: 'Model calls it took (1 to 4: 3 repair rounds at most).' }),
    valid: z.literal(true),
    model: z.string(),
  })
  .meta({ id: 'Generated' });
