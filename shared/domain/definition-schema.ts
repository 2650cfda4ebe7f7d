import { z } from 'zod';
import { definedTriggersSchema } from './defined-triggers.ts';
import { durationSchema } from './duration.ts';

/**
 * The workflow definition format. These zod schemas are the single source: the validator, the
 * API's OpenAPI document and `schema/workflow.schema.json` (for editors) are all derived here.
 */

export const NODE_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,79}$/;
export const WORKFLOW_ID = /^[a-z0-9][a-z0-9-]{0,79}$/;

const nodeIdSchema = z.string().regex(NODE_ID, {
  message: 'node ids start with a letter or "_" and hold letters, digits, "_" or "-" (at most 80)',
});

/** A JSONata expression inside `{% %}`, e.g. `{% $inputs.amount > 100 %}`. */
export const expressionSchema = z
  .string()
  .regex(/^\s*\{%[\s\S]*%\}\s*$/, { message: 'expected a JSONata expression written as "{% ... %}"' })
  .meta({ description: 'A JSONata expression inside {% %}.' });

export const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).optional(),
    backoff: z.enum(['fixed', 'exponential']).optional(),
    initialDelay: durationSchema.optional(),
    maxDelay: durationSchema.optional(),
    jitter: z.boolean().optional(),
    retryOn: z
      .array(z.string().min(1))
      .optional()
      .meta({ description: 'Error codes to retry; all when absent.' }),
  })
  .strict();

export const triggerRuleSchema = z.enum(['all_success', 'all_done', 'one_success', 'none_failed']);

/** Fields every node has, whatever its type. */
const baseNode = {
  needs: z.array(z.string()).optional().meta({ description: 'Ids of the parent nodes.' }),
  with: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: 'Parameters; expressions allowed.' }),
  retry: retrySchema.optional(),
  timeout: durationSchema.optional(),
  when: expressionSchema.optional().meta({ description: 'Skip the node unless this is true.' }),
  trigger: triggerRuleSchema.optional().meta({ description: 'Join rule; all_success by default.' }),
  pool: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,39}$/)
    .optional(),
  priority: z.number().int().min(0).max(9).optional(),
  continueOnError: z.boolean().optional(),
  description: z.string().max(2000).optional(),
};

const node = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...baseNode, ...shape }).strict();

export const noopNodeSchema = node('noop', {});
export const scriptNodeSchema = node('script', {
  language: z.enum(['js', 'lua']),
  code: z
    .string()
    .min(1)
    .max(256 * 1024),
  memoryMb: z.number().int().min(1).max(64).optional(),
});
export const httpNodeSchema = node('http', {
  acceptStatus: z.array(z.number().int().min(100).max(599)).optional(),
});
export const lambdaNodeSchema = node('lambda', { function: z.string().min(1) });
export const waitNodeSchema = node('wait', {});
export const conditionNodeSchema = node('condition', {
  if: expressionSchema,
  then: z.array(z.string()).optional(),
  else: z.array(z.string()).optional(),
});
export const workflowNodeSchema = node('workflow', {
  workflow: z.string().regex(WORKFLOW_ID),
  version: z.string().min(1).meta({ description: 'A semver range such as ^1.2.0.' }),
});
const workflowRefSchema = z
  .object({ workflow: z.string().regex(WORKFLOW_ID), version: z.string().min(1) })
  .strict()
  .meta({ description: 'Run this workflow (a version range) as a child run.' });
export const mapNodeSchema = node('map', {
  items: z.union([expressionSchema, z.array(z.unknown())]),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  // A map runs a node template (itself possibly a map) or a sub-workflow for each item. Typed as
  // unknown here because the schema is recursive; executors parse it with `mapTemplateSchema`.
  node: z
    .lazy((): z.ZodType<unknown> => mapTemplateSchema)
    .meta({ description: 'The node template, or {workflow, version}, run for each item.' }),
});
export const callbackNodeSchema = node('callback', {});
export const eventNodeSchema = node('event', {});
export const stepFunctionsNodeSchema = node('stepfunctions', { stateMachineArn: z.string().min(1) });
export const aiNodeSchema = node('ai', { model: z.string().min(1).optional() });

export const nodeSchema = z.discriminatedUnion('type', [
  noopNodeSchema,
  scriptNodeSchema,
  httpNodeSchema,
  lambdaNodeSchema,
  waitNodeSchema,
  conditionNodeSchema,
  workflowNodeSchema,
  mapNodeSchema,
  callbackNodeSchema,
  eventNodeSchema,
  stepFunctionsNodeSchema,
  aiNodeSchema,
]);

export const mapTemplateSchema = z.union([workflowRefSchema, nodeSchema]);

export const inputTypeSchema = z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array']);

/** True when `value` has the declared input type. */
export function hasInputType(value: unknown, type: z.infer<typeof inputTypeSchema>): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

export const inputSchema = z
  .object({
    type: inputTypeSchema,
    required: z.boolean().optional(),
    default: z.unknown().optional(),
    description: z.string().max(2000).optional(),
    enum: z.array(z.unknown()).min(1).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.default !== undefined && !hasInputType(input.default, input.type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `the default must be of type ${input.type}`,
      });
    }
    if (input.default !== undefined && input.enum && !input.enum.some((v) => isDeepEqual(v, input.default))) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: 'the default must be one of the enum values',
      });
    }
  });

const isDeepEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export const definitionSchema = z
  .object({
    id: z.string().regex(WORKFLOW_ID).optional().meta({ description: 'Must match the URL when given.' }),
    version: z.string().optional().meta({ description: 'Must match the URL when given.' }),
    description: z.string().max(4000).optional(),
    inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), inputSchema).optional(),
    outputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.unknown()).optional(),
    defaults: z
      .object({ retry: retrySchema.optional(), timeout: durationSchema.optional() })
      .strict()
      .optional(),
    timeout: durationSchema.optional().meta({ description: 'Run timeout.' }),
    maxConcurrentRuns: z.number().int().min(1).optional(),
    retentionDays: z.number().int().min(1).max(3650).optional(),
    triggers: definedTriggersSchema,
    nodes: z
      .record(nodeIdSchema, nodeSchema)
      .refine((nodes) => Object.keys(nodes).length > 0, { message: 'a workflow needs at least one node' }),
  })
  .strict();

export type WorkflowDefinition = z.infer<typeof definitionSchema>;
export type NodeDefinition = z.infer<typeof nodeSchema>;
export type InputDefinition = z.infer<typeof inputSchema>;
