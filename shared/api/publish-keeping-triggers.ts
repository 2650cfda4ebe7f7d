import type { Problem } from '../domain/problems.ts';
import {
  type PublishDeps,
  type PublishRequest,
  type PublishResult,
  publishDefinition,
} from '../engine/publish-definition.ts';
import {
  checkDefinedTriggers,
  type DefinedTriggersResult,
  syncDefinedTriggers,
} from '../engine/triggers/defined.ts';
import type { TriggerDeps } from '../engine/triggers/deps.ts';
import type { VersionRecord } from '../ports/definition-store.ts';

export interface PublishKeepingTriggersDeps extends PublishDeps {
  /** Keeps the `triggers:` of published definitions; absent: they are not kept (a warning says so). */
  readonly triggers?: TriggerDeps | undefined;
}

/** The answer of a publish (`Published` in the OpenAPI document), and its `Location`. */
export function publishedAnswer(published: PublishResult & { readonly triggers?: DefinedTriggersResult }) {
  const { created, record, warnings, triggers } = published;
  const { tenant, workflowId, version, digest, publishedAt, dependencies } = record;
  return {
    location: `/v1/tenants/${tenant}/workflows/${workflowId}/versions/${version}`,
    status: created ? (201 as const) : (200 as const),
    body: {
      workflowId,
      version,
      digest,
      publishedAt,
      created,
      dependencies,
      warnings,
      ...(triggers && { triggers }),
    },
  };
}

/**
 * Publishes a version (`PUT .../versions/{v}`, a template's instantiate) and keeps the workflow's
 * triggers with its latest version's `triggers:`: their ids are checked free before anything is
 * written, and they are created, updated or deleted after. `triggers` says what was done.
 * @example const { record, triggers } = await publishKeepingTriggers(deps, { tenant, workflowId, version, body });
 */
export async function publishKeepingTriggers(
  deps: PublishKeepingTriggersDeps,
  request: Omit<PublishRequest, 'check'>,
): Promise<PublishResult & { readonly triggers?: DefinedTriggersResult }> {
  const triggers = deps.triggers;
  const published = await publishDefinition(deps, {
    ...request,
    ...(triggers && {
      check: (definition) =>
        checkDefinedTriggers(triggers, request.tenant, request.workflowId, definition.triggers),
    }),
  });
  const kept = await keepTriggers(deps, published.record, published.warnings);
  return kept ? { ...published, triggers: kept } : published;
}

/**
 * After a publish: the workflow's triggers follow its latest version's `triggers:` (an older or
 * prerelease version's are not applied). Without a trigger store, declared triggers are a warning.
 */
async function keepTriggers(
  deps: PublishKeepingTriggersDeps,
  record: VersionRecord,
  warnings: Problem[],
): Promise<DefinedTriggersResult | undefined> {
  const { tenant, workflowId, version, definition } = record;
  if (!deps.triggers) {
    if (definition.triggers !== undefined)
      warnings.push({
        code: 'TRIGGER',
        message: 'this server keeps no triggers: triggers: was not applied',
        path: '$.triggers',
      });
    return undefined;
  }
  const summary = await deps.definitions.getWorkflow(tenant, workflowId);
  if (summary?.latest !== version) {
    if (definition.triggers !== undefined)
      warnings.push({
        code: 'TRIGGER',
        message: `triggers: follow the latest version (${summary?.latest}); this version's were not applied`,
        path: '$.triggers',
      });
    return undefined;
  }
  const result = await syncDefinedTriggers(deps.triggers, tenant, workflowId, version, definition.triggers);
  const changed =
    result.created.length + result.updated.length + result.unchanged.length + result.deleted.length;
  return changed > 0 ? result : undefined;
}
