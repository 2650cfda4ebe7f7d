import { Hono } from 'hono';
import semver from 'semver';
import { BUILTIN_TEMPLATES } from '../../domain/builtin-templates.ts';
import { findTemplate, instantiateTemplate, type WorkflowTemplate } from '../../domain/templates.ts';
import { assertWorkflowId, type PublishDeps } from '../../engine/publish-definition.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readOptionalBody } from '../body.ts';
import {
  type PublishKeepingTriggersDeps,
  publishedAnswer,
  publishKeepingTriggers,
} from '../publish-keeping-triggers.ts';
import { instantiateBodySchema } from '../template-schemas.ts';

/** The built-in templates, mounted at `/v1/templates`: list and read. */
export function templateRoutes(templates: readonly WorkflowTemplate[] = BUILTIN_TEMPLATES) {
  const app = new Hono<ApiEnv>();
  app.get('/', (c) => c.json({ items: templates.map(summaryOf) }));
  app.get('/:id', (c) => {
    const { id, title, description, variables, definition, triggers, subscriptions } = findTemplate(
      templates,
      c.req.param('id'),
    );
    return c.json({
      id,
      title,
      description,
      variables,
      definition,
      triggers: triggers ?? [],
      subscriptions: subscriptions ?? [],
    });
  });
  return app;
}

/**
 * `POST /v1/tenants/{tenant}/templates/{id}/instantiate {workflow?, version?, variables}`: fills
 * the template and publishes the definition through the same path as `PUT .../versions/{v}`, so
 * the triggers its `triggers:` declares are created (`triggers` in the answer). The suggested
 * subscriptions are returned with their `PUT` paths, not created.
 */
export function instantiateRoutes(
  deps: PublishKeepingTriggersDeps,
  templates: readonly WorkflowTemplate[] = BUILTIN_TEMPLATES,
) {
  const app = new Hono<ApiEnv>();
  app.post('/:id/instantiate', async (c) => {
    const tenant = c.get('tenant');
    const template = findTemplate(templates, c.req.param('id'));
    const body = parseBody(instantiateBodySchema, await readOptionalBody(c));
    const workflow = body.workflow ?? template.id;
    assertWorkflowId(workflow);
    const version = body.version ?? (await nextVersion(deps, tenant, workflow));
    const instance = instantiateTemplate(template, { workflow, version, variables: body.variables });
    const published = await publishKeepingTriggers(deps, {
      tenant,
      workflowId: workflow,
      version,
      body: instance.definition,
    });
    const { location, status, body: answer } = publishedAnswer(published);
    const subscriptions = instance.subscriptions.map((s) => ({
      ...s,
      path: `/v1/tenants/${tenant}/subscriptions/${s.id}`,
    }));
    c.header('Location', location);
    return c.json(
      { ...answer, template: template.id, variables: instance.variables, suggested: { subscriptions } },
      status,
    );
  });
  return app;
}

/** 1.0.0 for a new workflow, else the minor after its latest version. */
async function nextVersion(deps: PublishDeps, tenant: string, workflow: string): Promise<string> {
  const existing = await deps.definitions.getWorkflow(tenant, workflow);
  return existing ? (semver.inc(existing.latest, 'minor') ?? '1.0.0') : '1.0.0';
}

function summaryOf(template: WorkflowTemplate) {
  const { id, title, description, variables } = template;
  return {
    id,
    title,
    description,
    variables,
    suggests: {
      triggers: template.triggers?.length ?? 0,
      subscriptions: template.subscriptions?.length ?? 0,
    },
  };
}
