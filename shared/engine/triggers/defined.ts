import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/canonical-json.ts';
import type { DefinedTrigger } from '../../domain/defined-triggers.ts';
import { ConflictError } from '../../domain/problems.ts';
import type { TriggerBody } from '../../domain/trigger-spec.ts';
import type { TriggerRecord } from '../../ports/trigger-store.ts';
import type { TriggerDeps } from './deps.ts';
import { deleteTrigger, putTrigger } from './manage.ts';

/** What publishing did to the workflow's triggers (`triggers` in the publish answer). */
export interface DefinedTriggersResult {
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly deleted: string[];
  /** New webhook triggers' secrets, shown this once. */
  readonly secrets?: Record<string, string>;
}

type Declared = Readonly<Record<string, DefinedTrigger>>;

/**
 * Before a version is published: every id its `triggers:` declares must be free or already kept
 * by this workflow's definition (409 `TRIGGER_TAKEN` at `$.triggers.<id>` otherwise), so
 * publishing never takes over a trigger made through the API or by another workflow.
 */
export async function checkDefinedTriggers(
  deps: Pick<TriggerDeps, 'triggers'>,
  tenant: string,
  workflowId: string,
  declared: Declared | undefined,
): Promise<void> {
  for (const id of Object.keys(declared ?? {})) {
    const existing = await deps.triggers.get(tenant, id);
    if (existing && existing.definedBy?.workflow !== workflowId) {
      const owner = existing.definedBy ? `workflow ${existing.definedBy.workflow}'s definition` : 'the API';
      throw new ConflictError(
        'TRIGGER_TAKEN',
        `trigger "${id}" exists already (made by ${owner}); pick another id or delete that trigger first`,
        `$.triggers.${id}`,
      );
    }
  }
}

/**
 * After `version` was published and is the workflow's latest: creates or updates the triggers its
 * `triggers:` declares (each runs that version; an entry unchanged since the last publish is left
 * alone, and a trigger paused by an operator stays paused unless the entry says `enabled`), and
 * deletes the triggers an earlier definition declared that this one does not. Idempotent: a
 * publish repeated after a crash finishes the work.
 * @example await syncDefinedTriggers(deps, 'acme', 'report', '1.2.0', definition.triggers)
 */
export async function syncDefinedTriggers(
  deps: TriggerDeps,
  tenant: string,
  workflowId: string,
  version: string,
  declared: Declared | undefined,
): Promise<DefinedTriggersResult> {
  const kept = new Map((await keptBy(deps, tenant, workflowId)).map((record) => [record.triggerId, record]));
  const result = {
    created: [] as string[],
    updated: [] as string[],
    unchanged: [] as string[],
    deleted: [] as string[],
  };
  const secrets: Record<string, string> = {};
  for (const [id, entry] of Object.entries(declared ?? {})) {
    const existing = kept.get(id);
    const digest = createHash('sha256').update(canonicalJson({ entry, version })).digest('hex').slice(0, 16);
    if (existing?.definedBy?.digest === digest) {
      result.unchanged.push(id);
      continue;
    }
    const body = {
      ...entry,
      workflow: workflowId,
      version,
      ...(existing && entry.enabled === undefined && { enabled: existing.enabled }),
    } as TriggerBody;
    const put = await putTrigger(deps, tenant, id, body, {
      definedBy: { workflow: workflowId, version, digest },
    });
    (put.created ? result.created : result.updated).push(id);
    if (put.secret) secrets[id] = put.secret;
  }
  for (const id of kept.keys()) {
    if (declared?.[id] !== undefined) continue;
    await deleteTrigger(deps, tenant, id, { definedBy: workflowId });
    result.deleted.push(id);
  }
  return Object.keys(secrets).length > 0 ? { ...result, secrets } : result;
}

/** The tenant's triggers kept by this workflow's definition (every page of the listing). */
async function keptBy(deps: TriggerDeps, tenant: string, workflowId: string): Promise<TriggerRecord[]> {
  const found: TriggerRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.triggers.list(tenant, { limit: 100, ...(cursor && { cursor }) });
    found.push(...page.items.filter((record) => record.definedBy?.workflow === workflowId));
    cursor = page.cursor;
  } while (cursor);
  return found;
}
