import { z } from 'zod';
import { WORKFLOW_ID } from '../domain/definition-schema.ts';
import { MAX_NAMED_NODES } from '../engine/retry-run.ts';
import { NODE_STATUSES, RUN_STATUSES } from '../ports/run-store.ts';
import { pageQuerySchema } from './schemas.ts';

/** Request and response schemas of the run routes; `/openapi.json` is generated from these. */

/** The longest `wait` of "start run", in seconds: longer runs are polled with GET .../runs/{run}. */
export const MAX_WAIT_SECONDS = 30;

const waitMessage = `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}; poll GET /v1/tenants/{tenant}/runs/{run} for longer`;

export const startRunBodySchema = z
  .strictObject({
    version: z
      .string({ error: 'version must be a string: a version such as 1.2.0 or a range such as ^1.2.0' })
      .min(1, 'version must not be empty; leave it out for the latest version')
      .max(256, 'version must be at most 256 characters')
      .optional()
      .meta({ description: 'An exact version, a semver range (`^1.2.0`) or "latest" (the default).' }),
    inputs: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "The run's inputs, checked against the definition's `inputs`." }),
    idempotencyKey: z
      .string({ error: 'idempotencyKey must be a string of 1 to 128 printable ASCII characters' })
      .optional()
      .meta({ description: 'A second start with the same key (per tenant) returns the first run.' }),
    wait: z
      .number({ error: waitMessage })
      .min(0, waitMessage)
      .max(MAX_WAIT_SECONDS, waitMessage)
      .optional()
      .meta({
        description:
          'Seconds (0 to 30) to wait for the run to end; it is then returned whole. On AWS the wait ends 1.5 s before the API function would time out.',
      }),
  })
  .meta({ id: 'StartRun' });

/** What the start route validates: `inputs` are checked by the engine, which lists every problem. */
export const startRunInputSchema = startRunBodySchema.extend({ inputs: z.unknown().optional() });

export const retryBodySchema = z
  .strictObject({
    nodes: z
      .array(z.string({ error: 'each node must be a node id (a string)' }), {
        error: 'nodes must be a list of node ids',
      })
      .min(1, 'nodes must name at least one node; leave it out to retry every failed or cancelled node')
      .max(
        MAX_NAMED_NODES,
        `nodes must name at most ${MAX_NAMED_NODES} nodes; leave it out to rerun every failed or cancelled node`,
      )
      .optional()
      .meta({
        description:
          'Nodes to rerun (with everything downstream); every FAILED or CANCELLED one when absent.',
      }),
  })
  .meta({ id: 'RetryRun' });

export const runListQuerySchema = pageQuerySchema.extend({
  workflow: z
    .string()
    .regex(WORKFLOW_ID, 'must be a workflow id: lowercase letters, digits and "-" (at most 80)')
    .optional(),
  status: z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(', ')}` }).optional(),
});

/** Nodes per page of GET run when the query says none. */
export const DEFAULT_NODE_PAGE = 100;

/** `?limit=` of a page of `what` (1 to 1000). */
const pageLimit = (what: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: `${what} per page (1 to 1000, default ${DEFAULT_NODE_PAGE}).` });

export const runViewQuerySchema = z.object({
  limit: pageLimit('Nodes'),
  cursor: z.string().max(256).optional().meta({ description: 'The `nodesCursor` of the previous page.' }),
  outputs: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().meta({
    description: "Include each node's output (default false); a page then stops at about 4 MB of outputs.",
  }),
});

export const itemPageQuerySchema = z.object({
  limit: pageLimit('Items'),
  cursor: z.string().max(256).optional().meta({ description: 'The `cursor` of the previous page.' }),
});

export const runStatusSchema = z.enum(RUN_STATUSES).meta({ id: 'RunStatus' });
export const nodeStatusSchema = z.enum(NODE_STATUSES).meta({ id: 'NodeStatus' });

export const errorInfoSchema = z
  .object({ code: z.string(), message: z.string(), nodeId: z.string().optional() })
  .meta({ id: 'ErrorInfo' });

export const runStartedSchema = z
  .object({
    runId: z.string(),
    status: runStatusSchema,
    workflow: z.string(),
    version: z.string().meta({ description: 'The exact version the run is pinned to.' }),
    created: z.boolean().meta({ description: 'False when `idempotencyKey` matched an existing run.' }),
  })
  .meta({ id: 'RunStarted' });

export const controlViewSchema = z
  .object({
    action: z.enum(['retry', 'cancel', 'time_out']),
    done: z.number().int().meta({ description: 'Nodes written so far.' }),
    total: z.number().int().optional().meta({ description: 'Nodes to write.' }),
    since: z.string(),
  })
  .meta({
    id: 'PendingControl',
    description:
      'A cancel, time-out or retry still working through the run’s nodes in the background; absent once done.',
  });

export const runStateSchema = z
  .object({ runId: z.string(), status: runStatusSchema, control: controlViewSchema.optional() })
  .meta({ id: 'RunState' });

export const runSummarySchema = z
  .object({
    runId: z.string(),
    workflow: z.string(),
    version: z.string(),
    status: runStatusSchema,
    createdAt: z.string(),
    endedAt: z.string().optional(),
    error: errorInfoSchema.optional(),
  })
  .meta({ id: 'RunSummary' });

export const runPageSchema = z.object({ items: z.array(runSummarySchema), cursor: z.string().optional() });

export const nodeViewSchema = z
  .object({
    status: nodeStatusSchema,
    attempts: z.number().int(),
    output: z.unknown().optional(),
    error: errorInfoSchema.optional(),
    reason: z.string().optional().meta({ description: 'Why the node was skipped or cancelled.' }),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    wakeAt: z
      .string()
      .optional()
      .meta({ description: 'RETRY_WAIT or WAITING: when the node wakes up (a callback: its deadline).' }),
    token: z
      .string()
      .optional()
      .meta({ description: 'A callback WAITING for its completion: the token that completes it.' }),
    childRunId: z.string().optional().meta({ description: 'A workflow node: the child run it started.' }),
    items: z
      .object({ total: z.number().int(), lanes: z.number().int() })
      .optional()
      .meta({ description: 'A map node that started its items: how many, and the lanes that run them.' }),
    awaiting: z
      .string()
      .optional()
      .meta({ description: "A stepfunctions node: the ARN of its latest attempt's execution." }),
  })
  .meta({ id: 'NodeView' });

export const itemPageSchema = z
  .object({
    total: z.number().int(),
    items: z.array(
      nodeViewSchema.extend({ index: z.number().int(), item: z.unknown() }).meta({ id: 'ItemView' }),
    ),
    cursor: z.string().optional(),
  })
  .meta({ id: 'ItemPage' });

export const runViewSchema = z
  .object({
    runId: z.string(),
    tenant: z.string(),
    workflow: z.string(),
    version: z.string(),
    status: runStatusSchema,
    inputs: z.unknown().meta({ description: 'The inputs the run sees, defaults applied.' }),
    outputs: z.unknown().optional(),
    error: errorInfoSchema.optional(),
    idempotencyKey: z.string().optional(),
    trigger: z
      .object({
        triggerId: z.string(),
        scheduledAt: z.string().optional(),
        deliveryId: z.string().optional(),
        eventId: z.string().optional(),
      })
      .optional()
      .meta({ description: 'The trigger firing that started the run.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    endedAt: z.string().optional(),
    deadline: z.string().optional().meta({ description: 'Past this time the run is TIMED_OUT.' }),
    control: controlViewSchema.optional(),
    progress: z.object({
      total: z.number().int(),
      done: z.number().int().meta({ description: 'Nodes in a terminal state.' }),
      percent: z.number().int(),
      byStatus: z.record(z.string(), z.number().int()).meta({ description: 'Node count by status.' }),
    }),
    nodes: z.record(z.string(), nodeViewSchema).meta({
      description: 'The nodes of this page in definition order; `output` only with `outputs=true`.',
    }),
    nodesCursor: z.string().optional().meta({ description: 'More nodes follow: pass this as `cursor`.' }),
  })
  .meta({ id: 'RunView' });

export const runParam = z
  .string()
  .meta({ param: { name: 'run', in: 'path' }, example: '01JH3ZK5Q8N4X6Y7Z8A9B0C1D2' });
