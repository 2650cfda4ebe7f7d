import { NotFoundError, SkeinError } from '../../domain/problems.ts';
import {
  checkOwnFields,
  cronSpecOf,
  eventSpecOf,
  fireTimes,
  TRIGGER_ID,
  type TriggerBody,
} from '../../domain/trigger-spec.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import type { FiringRecord, TriggerRecord, WebhookSpec } from '../../ports/trigger-store.ts';
import { iso, type TriggerDeps } from './deps.ts';

/** A trigger as the API shows it: never the webhook's secret. */
export interface TriggerView extends Omit<TriggerRecord, 'webhook' | 'buffered' | 'lastRunId'> {
  readonly webhook?: { readonly url: string; readonly github: boolean };
  readonly nextFireTimes?: string[];
  readonly firings?: FiringRecord[];
  readonly buffered?: number;
}

export interface PutTriggerResult {
  readonly view: TriggerView;
  readonly created: boolean;
  /** A new webhook trigger's secret, shown this once. */
  readonly secret?: string;
}

/** The public URL path of a webhook. */
export const hookPath = (hookId: string) => `/v1/hooks/${hookId}`;

/**
 * Creates or replaces a trigger. The workflow must exist; a cron schedule is checked (422 naming
 * the field) and handed to the schedules port. Replacing a webhook trigger keeps its URL and secret.
 * @example await putTrigger(deps, 'acme', 'nightly', { type: 'cron', workflow: 'report', schedule: '0 2 * * *' })
 */
export async function putTrigger(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
  body: TriggerBody,
  options: { definedBy?: TriggerRecord['definedBy'] } = {},
): Promise<PutTriggerResult> {
  checkTriggerId(triggerId);
  checkOwnFields(body);
  const cron = body.type === 'cron' ? cronSpecOf(body) : undefined;
  const event = body.type === 'event' ? eventSpecOf(body) : undefined;
  if (!(await deps.definitions.getWorkflow(tenant, body.workflow))) {
    throw new SkeinError(
      'UNKNOWN_WORKFLOW',
      `workflow ${body.workflow} does not exist; publish a version first`,
      'unprocessable',
      '$.workflow',
    );
  }
  const existing = await deps.triggers.get(tenant, triggerId);
  if (existing?.definedBy && !options.definedBy) throw definedElsewhere(existing);
  const now = iso(deps.clock.now());
  let secret: string | undefined;
  let webhook: WebhookSpec | undefined;
  if (body.type === 'webhook') {
    const kept = existing?.webhook;
    if (!kept) secret = `whsec_${Buffer.from(deps.ids.secret(24), 'base64url').toString('base64')}`;
    webhook = {
      hookId: kept?.hookId ?? deps.ids.newId().toLowerCase(),
      secret: kept?.secret ?? (secret as string),
      github: body.github ?? false,
    };
  }
  const record: TriggerRecord = {
    tenant,
    triggerId,
    type: body.type,
    workflow: body.workflow,
    ...(body.version !== undefined && { version: body.version }),
    ...(body.inputs !== undefined && { inputs: body.inputs }),
    enabled: body.enabled ?? true,
    ...(cron && { cron }),
    ...(webhook && { webhook }),
    ...(event && { event }),
    ...(options.definedBy && { definedBy: options.definedBy }),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    // A new or changed schedule starts from now: no catch-up of times before it existed.
    ...(cron && { lastScheduledAt: now }),
    ...(existing?.lastRunId !== undefined && { lastRunId: existing.lastRunId }),
  };
  await deps.triggers.put(record);
  await syncSchedule(deps, record, existing);
  return { view: await viewOf(deps, record, false), created: !existing, ...(secret && { secret }) };
}

/** The trigger with its next 5 fire times (cron) and its last firings. */
export async function getTrigger(deps: TriggerDeps, tenant: string, triggerId: string): Promise<TriggerView> {
  return viewOf(deps, await ownTrigger(deps, tenant, triggerId), true);
}

export async function listTriggers(
  deps: TriggerDeps,
  tenant: string,
  page?: PageRequest,
): Promise<Page<TriggerView>> {
  const found = await deps.triggers.list(tenant, page);
  const items = await Promise.all(found.items.map((record) => viewOf(deps, record, false)));
  return { items, ...(found.cursor && { cursor: found.cursor }) };
}

/** Deletes a trigger; one a definition keeps only for that definition's workflow (`definedBy`). */
export async function deleteTrigger(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
  options: { definedBy?: string } = {},
): Promise<void> {
  const record = await ownTrigger(deps, tenant, triggerId);
  if (record.definedBy && record.definedBy.workflow !== options.definedBy) throw definedElsewhere(record);
  await deps.triggers.delete(tenant, triggerId);
  if (record.type === 'cron') await deps.schedules?.remove(tenant, triggerId);
}

/** Pauses (`enabled: false`) or resumes a trigger. Resuming a cron trigger does not catch up the pause. */
export async function setEnabled(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
  enabled: boolean,
): Promise<TriggerView> {
  const record = await ownTrigger(deps, tenant, triggerId);
  const now = iso(deps.clock.now());
  const resumed = enabled && !record.enabled && record.type === 'cron';
  const change = { enabled, updatedAt: now, ...(resumed && { lastScheduledAt: now }) };
  await deps.triggers.update(tenant, triggerId, change);
  const updated = { ...record, ...change };
  await syncSchedule(deps, updated, record);
  return viewOf(deps, updated, true);
}

/** The tenant's trigger, or a 404 (another tenant's included). */
export async function ownTrigger(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
): Promise<TriggerRecord> {
  const record = await deps.triggers.get(tenant, triggerId);
  if (!record) throw new NotFoundError(`no trigger "${triggerId}"`);
  return record;
}

async function syncSchedule(
  deps: TriggerDeps,
  record: TriggerRecord,
  before: TriggerRecord | undefined,
): Promise<void> {
  if (!deps.schedules) return;
  if (record.cron) {
    const { expression, timezone, startAt, endAt } = record.cron;
    await deps.schedules.put({
      tenant: record.tenant,
      triggerId: record.triggerId,
      expression,
      enabled: record.enabled,
      ...(timezone !== undefined && { timezone }),
      ...(startAt !== undefined && { startAt }),
      ...(endAt !== undefined && { endAt }),
    });
  } else if (before?.type === 'cron') {
    await deps.schedules.remove(record.tenant, record.triggerId);
  }
}

async function viewOf(deps: TriggerDeps, record: TriggerRecord, detailed: boolean): Promise<TriggerView> {
  const { webhook, buffered, lastRunId: _last, ...rest } = record;
  const next =
    record.cron && record.enabled ? fireTimes(record.cron, deps.clock.now(), 5).map(iso) : undefined;
  return {
    ...rest,
    ...(webhook && { webhook: { url: hookPath(webhook.hookId), github: webhook.github } }),
    ...(next && { nextFireTimes: next }),
    ...(buffered && buffered.length > 0 && { buffered: buffered.length }),
    ...(detailed && { firings: await deps.triggers.firings(record.tenant, record.triggerId) }),
  };
}

/** 409: a trigger a definition keeps is changed by publishing that definition, not through the API. */
function definedElsewhere(record: TriggerRecord): SkeinError {
  const by = record.definedBy;
  return new SkeinError(
    'TRIGGER_DEFINED',
    `trigger "${record.triggerId}" is kept by the triggers: of workflow ${by?.workflow} (version ${by?.version}); ` +
      'change it there and publish, or pause and resume it here',
    'conflict',
  );
}

function checkTriggerId(triggerId: string): void {
  if (!TRIGGER_ID.test(triggerId)) {
    throw new SkeinError(
      'INVALID_TRIGGER_ID',
      `a trigger id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got "${triggerId}"`,
      'invalid',
      '$.id',
    );
  }
}
