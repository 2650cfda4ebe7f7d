import { z } from 'zod';
import { PROBLEM_CODES } from '../domain/problems.ts';

/** Response and parameter schemas of the API: the OpenAPI document is generated from these. */

export const problemSchema = z
  .object({ code: z.enum(PROBLEM_CODES), message: z.string(), path: z.string() })
  .meta({ id: 'Problem' });

export const validationResultSchema = z
  .object({ valid: z.boolean(), errors: z.array(problemSchema), order: z.array(z.array(z.string())) })
  .meta({ id: 'ValidationResult' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      path: z.string().optional(),
      errors: z.array(problemSchema).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const dependencySchema = z.object({
  workflowId: z.string(),
  range: z.string(),
  nodeId: z.string(),
  reads: z
    .array(z.string())
    .optional()
    .meta({ description: 'Outputs of the called workflow this node reads ("*": the whole output).' }),
  supplies: z
    .array(z.string())
    .optional()
    .meta({ description: 'Inputs this node gives the called workflow ("*": computed, not checked).' }),
});

/** A published version that calls the workflow (`GET .../workflows/{wf}`). */
export const dependentSchema = z
  .object({ workflowId: z.string(), version: z.string(), nodeId: z.string(), range: z.string() })
  .meta({ id: 'Dependent' });

export const workflowSummarySchema = z
  .object({
    workflowId: z.string(),
    latest: z.string(),
    majors: z.record(z.string(), z.string()).meta({ description: 'Latest version of each major line.' }),
    versionCount: z.number().int(),
    description: z.string().optional(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WorkflowSummary' });

export const versionSummarySchema = z
  .object({
    version: z.string(),
    digest: z.string(),
    publishedAt: z.string(),
    description: z.string().optional(),
  })
  .meta({ id: 'VersionSummary' });

export const publishedSchema = z
  .object({
    workflowId: z.string(),
    version: z.string(),
    digest: z.string(),
    publishedAt: z.string(),
    created: z.boolean().meta({ description: 'False when the identical body was already published.' }),
    dependencies: z.array(dependencySchema),
    warnings: z.array(problemSchema).meta({
      description:
        'Node types this deployment does not run (NODE_TYPE_UNAVAILABLE; refused with ?strict=true), ' +
        'and `triggers:` not applied (TRIGGER).',
    }),
    triggers: z
      .object({
        created: z.array(z.string()),
        updated: z.array(z.string()),
        unchanged: z.array(z.string()),
        deleted: z.array(z.string()),
        secrets: z
          .record(z.string(), z.string())
          .optional()
          .meta({ description: 'New webhook triggers’ secrets (`whsec_…`), shown this once.' }),
      })
      .optional()
      .meta({ description: 'What publishing did to the triggers the workflow’s latest version declares.' }),
  })
  .meta({ id: 'Published' });

export const publishQuerySchema = z.object({
  strict: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'Refuse (422) a definition using node types this deployment does not run.' }),
});

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(2048).optional(),
});

export const tenantParam = z.string().meta({ param: { name: 'tenant', in: 'path' }, example: 'demo' });
export const workflowParam = z.string().meta({ param: { name: 'workflow', in: 'path' }, example: 'hello' });
export const versionParam = z
  .string()
  .meta({ param: { name: 'version', in: 'path' }, example: '1.0.0', description: 'A version, or "latest".' });
