import { createHash } from 'node:crypto';
import { NotFoundError, SkeinError } from '../../domain/problems.ts';
import { ACTIVE_RUN_STATUSES, type RunRecord } from '../../ports/run-store.ts';
import type { FiringOutcome, OverlapPolicy, TriggerRecord } from '../../ports/trigger-store.ts';
import { iso, type TriggerDeps } from './deps.ts';

/** Scheduled times a trigger holds for its active run at most (`buffer_all`). */
export const MAX_BUFFERED = 100;

export interface FireResult {
  readonly outcome: FiringOutcome | 'ignored';
  readonly runId?: string;
  readonly key?: string;
}

/** One firing to start: its idempotency key, what the template reads as `$inputs`, and where it came from. */
interface Firing {
  readonly key: string;
  readonly payload: unknown;
  readonly at: string;
  readonly scheduledAt?: string;
  readonly deliveryId?: string;
  readonly eventId?: string;
}

/** The idempotency key of a cron firing: the same scheduled time never starts two runs. */
export const cronKey = (triggerId: string, scheduledAtMs: number) => `trg/${triggerId}/${iso(scheduledAtMs)}`;

/** The idempotency key of a webhook delivery: a replay of a delivery id returns the first run. */
export const hookKey = (triggerId: string, deliveryId: string) => outsideKey('hook', triggerId, deliveryId);

/** The idempotency key of a bus event: the same event delivered twice starts one run per trigger. */
export const eventKey = (triggerId: string, eventId: string) => outsideKey('evt', triggerId, eventId);

/** `<kind>/<trigger>/<id>`, with the id hashed when the key would not be 1-128 printable characters. */
function outsideKey(kind: string, triggerId: string, id: string): string {
  const key = `${kind}/${triggerId}/${id}`;
  if (/^[\x21-\x7e]{1,128}$/.test(key)) return key;
  return `${kind}/${triggerId}/#${createHash('sha256').update(id).digest('base64url')}`;
}

/**
 * Fires a cron trigger for one scheduled time, applying its overlap policy (or `overlap`, for a
 * backfill) when its last run is still active. `moveCursor` (not for backfills) records the time
 * as handled so the scheduler does not fire it again. A disabled or deleted trigger is `ignored`.
 * @example await fireCron(deps, 'acme', 'nightly', Date.parse('2026-01-01T02:00:00Z'))
 */
export async function fireCron(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
  scheduledAtMs: number,
  options: { overlap?: OverlapPolicy; moveCursor?: boolean; record?: TriggerRecord } = {},
): Promise<FireResult> {
  const record = options.record ?? (await deps.triggers.get(tenant, triggerId));
  if (!record?.cron || (!record.enabled && options.moveCursor !== false)) return { outcome: 'ignored' };
  const scheduledAt = iso(scheduledAtMs);
  const firing: Firing = {
    key: cronKey(triggerId, scheduledAtMs),
    payload: { triggerId, scheduledAt, firedAt: iso(deps.clock.now()) },
    at: scheduledAt,
    scheduledAt,
  };
  const moveCursor = options.moveCursor ?? true;
  const cursor = moveCursor ? { lastScheduledAt: scheduledAt } : {};
  const policy = options.overlap ?? record.cron.overlap;
  if (policy !== 'allow_all' && (await isActive(deps, record))) {
    if (policy === 'cancel_other' && record.lastRunId) {
      await deps.runner.cancel(tenant, record.lastRunId).catch(() => undefined);
    } else {
      const buffered = record.buffered ?? [];
      const buffer =
        (policy === 'buffer_one' && buffered.length === 0) ||
        (policy === 'buffer_all' && buffered.length < MAX_BUFFERED);
      const outcome = buffer ? 'buffered' : 'skipped';
      await deps.triggers.update(tenant, triggerId, {
        ...cursor,
        ...(buffer && { buffered: [...buffered, scheduledAt] }),
      });
      await log(deps, record, firing, outcome);
      return { outcome, key: firing.key };
    }
  }
  return start(deps, record, firing, cursor);
}

/**
 * Starts the oldest buffered firing of a trigger whose last run has ended; `ignored` when nothing
 * is buffered or the run is still active. The scheduler calls it on every tick.
 */
export async function drainBuffered(deps: TriggerDeps, record: TriggerRecord): Promise<FireResult> {
  const [next, ...rest] = record.buffered ?? [];
  if (next === undefined || (await isActive(deps, record))) return { outcome: 'ignored' };
  await deps.triggers.update(record.tenant, record.triggerId, {
    buffered: rest.length > 0 ? rest : undefined,
  });
  return fireCron(deps, record.tenant, record.triggerId, Date.parse(next), {
    overlap: 'allow_all',
    moveCursor: false,
    record: { ...record, buffered: rest },
  });
}

/** Fires any trigger now (`POST .../fire`), whatever its overlap policy: a run keyed to this second. */
export async function fireNow(deps: TriggerDeps, record: TriggerRecord): Promise<FireResult> {
  const nowMs = Math.floor(deps.clock.now() / 1000) * 1000;
  const at = iso(nowMs);
  const firing: Firing = {
    key: `trg/${record.triggerId}/manual/${at}`,
    payload: { triggerId: record.triggerId, scheduledAt: at, firedAt: iso(deps.clock.now()), manual: true },
    at,
    scheduledAt: at,
  };
  return start(deps, record, firing, {});
}

/** Fires a webhook trigger for one verified delivery. */
export async function fireDelivery(
  deps: TriggerDeps,
  record: TriggerRecord,
  delivery: { id: string; body: unknown; headers: Record<string, string> },
): Promise<FireResult> {
  const firing: Firing = {
    key: hookKey(record.triggerId, delivery.id),
    payload: { id: delivery.id, body: delivery.body, headers: delivery.headers },
    at: iso(deps.clock.now()),
    deliveryId: delivery.id,
  };
  return start(deps, record, firing, {});
}

/** Fires an event trigger for one event of Skein's bus (already matched): `$inputs` is the event. */
export async function fireEvent(
  deps: TriggerDeps,
  record: TriggerRecord,
  event: { readonly id: string } & Readonly<Record<string, unknown>>,
): Promise<FireResult> {
  const firing: Firing = {
    key: eventKey(record.triggerId, event.id),
    payload: event,
    at: iso(deps.clock.now()),
    eventId: event.id,
  };
  return start(deps, record, firing, {});
}

async function start(
  deps: TriggerDeps,
  record: TriggerRecord,
  firing: Firing,
  cursor: { lastScheduledAt?: string },
): Promise<FireResult> {
  const { tenant, triggerId } = record;
  let run: RunRecord;
  let created: boolean;
  try {
    const inputs = await deps.runner.evaluateTemplate(record.inputs ?? {}, firing.payload, '$.inputs');
    ({ run, created } = await deps.runner.startRun({
      tenant,
      workflow: record.workflow,
      ...(record.version !== undefined && { version: record.version }),
      inputs,
      idempotencyKey: firing.key,
      trigger: {
        triggerId,
        ...(firing.scheduledAt !== undefined && { scheduledAt: firing.scheduledAt }),
        ...(firing.deliveryId !== undefined && { deliveryId: firing.deliveryId }),
        ...(firing.eventId !== undefined && { eventId: firing.eventId }),
      },
    }));
  } catch (error) {
    if (!(error instanceof SkeinError) && !(error instanceof Error && 'code' in error)) throw error;
    const { code, message } = error as { code: string; message: string };
    await deps.triggers.update(tenant, triggerId, cursor);
    await log(deps, record, firing, 'failed', undefined, { code: String(code), message });
    await emit(deps, 'trigger.failed', record, firing, '', { code: String(code), message });
    return { outcome: 'failed', key: firing.key };
  }
  const outcome = created ? 'started' : 'duplicate';
  await deps.triggers.update(tenant, triggerId, { ...cursor, ...(created && { lastRunId: run.runId }) });
  if (created) {
    await log(deps, record, firing, outcome, run.runId);
    await emit(deps, 'trigger.fired', record, firing, run.runId, undefined, run.version);
  }
  return { outcome, runId: run.runId, key: firing.key };
}

async function isActive(deps: TriggerDeps, record: TriggerRecord): Promise<boolean> {
  if (!record.lastRunId) return false;
  try {
    const run = await deps.runner.getRunRecord(record.tenant, record.lastRunId);
    return ACTIVE_RUN_STATUSES.includes(run.status);
  } catch (error) {
    if (error instanceof NotFoundError) return false; // expired (TTL) or never existed
    throw error;
  }
}

async function log(
  deps: TriggerDeps,
  record: TriggerRecord,
  firing: Firing,
  outcome: FiringOutcome,
  runId?: string,
  error?: { code: string; message: string },
): Promise<void> {
  await deps.triggers.recordFiring(record.tenant, record.triggerId, {
    key: firing.key,
    at: firing.at,
    firedAt: iso(deps.clock.now()),
    outcome,
    ...(runId !== undefined && { runId }),
    ...(firing.scheduledAt !== undefined && { scheduledAt: firing.scheduledAt }),
    ...(firing.deliveryId !== undefined && { deliveryId: firing.deliveryId }),
    ...(firing.eventId !== undefined && { eventId: firing.eventId }),
    ...(error && { error }),
  });
}

/**
 * Tells the observer, then subscribers (the notifier), of a firing. A failed publication is
 * reported and swallowed: the run started, and a redelivered firing would find it a duplicate.
 */
async function emit(
  deps: TriggerDeps,
  type: 'trigger.fired' | 'trigger.failed',
  record: TriggerRecord,
  firing: Firing,
  runId: string,
  error?: { code: string; message: string },
  version?: string,
): Promise<void> {
  const at = iso(deps.clock.now());
  deps.observer?.({
    type,
    runId,
    tenant: record.tenant,
    triggerId: record.triggerId,
    ...(firing.scheduledAt !== undefined && { scheduledAt: firing.scheduledAt }),
    ...(error && { error }),
    at,
  });
  if (!deps.notifier) return;
  try {
    await deps.notifier.publish([
      {
        type,
        severity: type === 'trigger.failed' ? 'error' : 'info',
        tenant: record.tenant,
        workflow: record.workflow,
        ...(version !== undefined && { version }),
        runId,
        time: at,
        trigger: record.triggerId,
        ...(firing.scheduledAt !== undefined && { scheduledAt: firing.scheduledAt }),
        ...(error && { error }),
      },
    ]);
  } catch (failure) {
    deps.onNotifyError?.(failure);
  }
}
