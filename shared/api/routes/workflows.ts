import { Hono } from 'hono';
import { NotFoundError } from '../../domain/problems.ts';
import { assertWorkflowId } from '../../engine/publish-definition.ts';
import type { TriggerDeps } from '../../engine/triggers/deps.ts';
import type { Clock } from '../../ports/clock.ts';
import type { DefinitionStore, WorkflowRecord } from '../../ports/definition-store.ts';
import { DEFAULT_PAGE_SIZE } from '../../ports/page.ts';
import type { RunCounters } from '../../ports/run-counters.ts';
import type { ApiEnv } from '../auth.ts';
import { readBody } from '../body.ts';
import { publishedAnswer, publishKeepingTriggers } from '../publish-keeping-triggers.ts';
import { parseQuery } from '../query.ts';
import { pageQuerySchema, publishQuerySchema } from '../schemas.ts';

export interface WorkflowRouteDeps {
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  /** Each pool's function timeout, to refuse nodes longer than their pool can run (AWS only). */
  readonly poolTimeoutsMs?: Readonly<Record<string, number>> | undefined;
  /** The node types this deployment runs: publishing warns about others (refuses when strict). */
  readonly nodeTypes?: { readonly types: readonly string[]; readonly where: string } | undefined;
  /** Per-workflow run counts, shown by `GET /{workflow}` as `runs`. */
  readonly runCounters?: RunCounters | undefined;
  /** Keeps the `triggers:` of published definitions; absent: they are not kept (a warning says so). */
  readonly triggers?: TriggerDeps | undefined;
}

/** Versioned definitions of a tenant: `/v1/tenants/{tenant}/workflows/...`. */
export function workflowRoutes(deps: WorkflowRouteDeps) {
  const { definitions } = deps;
  const app = new Hono<ApiEnv>();

  app.put('/:workflow/versions/:version', async (c) => {
    const tenant = c.get('tenant');
    const { workflow, version } = c.req.param();
    const { strict } = parseQuery(publishQuerySchema, c.req.query());
    const body = await readBody(c);
    const published = await publishKeepingTriggers(deps, {
      tenant,
      workflowId: workflow,
      version,
      body,
      strict: strict === 'true',
    });
    const { location, status, body: answer } = publishedAnswer(published);
    c.header('Location', location);
    return c.json(answer, status);
  });

  app.get('/', async (c) => {
    const page = await definitions.listWorkflows(c.get('tenant'), parseQuery(pageQuerySchema, c.req.query()));
    return c.json({ items: page.items.map(summaryOf), ...(page.cursor && { cursor: page.cursor }) });
  });

  app.get('/:workflow', async (c) => {
    const workflow = await findWorkflow(definitions, c.get('tenant'), c.req.param('workflow'));
    const versions = await definitions.listVersions(workflow.tenant, workflow.workflowId, {
      limit: DEFAULT_PAGE_SIZE,
    });
    const dependents = await definitions.listDependents(workflow.tenant, workflow.workflowId);
    const runs = deps.runCounters && (await deps.runCounters.get(workflow.tenant, workflow.workflowId));
    return c.json({
      ...summaryOf(workflow),
      versions: versions.items,
      ...(versions.cursor && { cursor: versions.cursor }),
      dependents: dependents.flatMap(({ workflowId, version, calls }) =>
        calls.map(({ nodeId, range }) => ({ workflowId, version, nodeId, range })),
      ),
      ...(runs && { runs }),
    });
  });

  app.get('/:workflow/versions', async (c) => {
    const workflow = await findWorkflow(definitions, c.get('tenant'), c.req.param('workflow'));
    const page = await definitions.listVersions(
      workflow.tenant,
      workflow.workflowId,
      parseQuery(pageQuerySchema, c.req.query()),
    );
    return c.json({ items: page.items, ...(page.cursor && { cursor: page.cursor }) });
  });

  app.get('/:workflow/versions/:version', async (c) => {
    const tenant = c.get('tenant');
    const workflow = await findWorkflow(definitions, tenant, c.req.param('workflow'));
    const requested = c.req.param('version');
    const version = requested === 'latest' ? workflow.latest : requested;
    const record = await definitions.getVersion(tenant, workflow.workflowId, version);
    if (!record) {
      throw new NotFoundError(
        `${workflow.workflowId}@${requested} is not published; the latest is ${workflow.latest}`,
      );
    }
    const { tenant: _tenant, ...rest } = record;
    return c.json(rest);
  });

  return app;
}

async function findWorkflow(definitions: DefinitionStore, tenant: string, workflowId: string) {
  assertWorkflowId(workflowId);
  const workflow = await definitions.getWorkflow(tenant, workflowId);
  if (!workflow)
    throw new NotFoundError(
      `no workflow "${workflowId}"; publish one with PUT .../workflows/${workflowId}/versions/1.0.0`,
    );
  return workflow;
}

function summaryOf(workflow: WorkflowRecord) {
  const { workflowId, latest, heads, versionCount, description, updatedAt } = workflow;
  return {
    workflowId,
    latest,
    majors: heads,
    versionCount,
    ...(description !== undefined && { description }),
    updatedAt,
  };
}
