import type { EventPattern } from '../../domain/event-pattern.ts';
import { matchesEventPattern } from '../../domain/event-pattern.ts';
import type { TriggerRecord } from '../../ports/trigger-store.ts';
import type { TriggerDeps } from './deps.ts';
import { type FireResult, fireEvent } from './fire.ts';

/** An event of Skein's bus as EventBridge delivers it (the shape patterns are written against). */
export interface BusEnvelope extends Readonly<Record<string, unknown>> {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail?: unknown;
  readonly time?: string;
}

/** What one event did: the triggers it matched and each firing's outcome. */
export interface MatchResult {
  readonly matched: readonly {
    readonly tenant: string;
    readonly triggerId: string;
    readonly result: FireResult;
  }[];
}

/**
 * The tenant whose workflow put an event: `skein.tenant.<tenant>` or `skein.tenant.<tenant>.<suffix>`
 * (tenant ids have no dots), else undefined (an event from outside Skein).
 * @example sourceTenant('skein.tenant.acme.orders') // 'acme'
 */
export function sourceTenant(source: string): string | undefined {
  return /^skein\.tenant\.([^.]+)(?:\.|$)/.exec(source)?.[1];
}

/**
 * Whether a trigger may see an event: a tenant's events are its own (another tenant's trigger
 * never matches them, whatever its pattern); events from outside Skein (put on the bus by the
 * account's own producers, as the bus policy allows) may be matched by any tenant's trigger.
 */
export function mayMatch(record: TriggerRecord, event: BusEnvelope): boolean {
  const owner = sourceTenant(event.source);
  return owner === undefined ? !event.source.startsWith('skein.') : owner === record.tenant;
}

/**
 * Starts a run for every enabled event trigger whose pattern matches the event (and that may see
 * it: {@link mayMatch}). The run's tenant is the trigger's, never the event's; the event id keys
 * the run, so a redelivered event starts no second run. One trigger's failure is recorded in its
 * firing log and does not stop the others; an infrastructure error is thrown (the message is
 * delivered again, and the runs already started are found by their keys).
 * @example await matchEvent(deps, await triggers(), { id, source: 'shop', 'detail-type': 'order', detail })
 */
export async function matchEvent(
  deps: TriggerDeps,
  triggers: readonly TriggerRecord[],
  event: BusEnvelope,
): Promise<MatchResult> {
  const matched: { tenant: string; triggerId: string; result: FireResult }[] = [];
  for (const record of triggers) {
    if (!record.event || !record.enabled || !mayMatch(record, event)) continue;
    if (!matchesEventPattern(record.event.pattern as EventPattern, event)) continue;
    const result = await fireEvent(deps, record, event);
    matched.push({ tenant: record.tenant, triggerId: record.triggerId, result });
  }
  return { matched };
}

/**
 * Every enabled event trigger, read at most once per `ttlMs` (a trigger function reads them for
 * each batch, not for each event): a new or changed trigger is seen within `ttlMs`.
 * @example const triggers = cachedEventTriggers(deps, 15_000); await matchEvent(deps, await triggers(), event);
 */
export function cachedEventTriggers(
  deps: Pick<TriggerDeps, 'triggers' | 'clock'>,
  ttlMs: number,
): () => Promise<TriggerRecord[]> {
  let cached: { at: number; records: Promise<TriggerRecord[]> } | undefined;
  return () => {
    const now = deps.clock.now();
    if (!cached || now - cached.at >= ttlMs) {
      const records = deps.triggers.listEvent();
      cached = { at: now, records };
      // A failed read is not kept: the next call reads again.
      records.catch(() => {
        if (cached?.records === records) cached = undefined;
      });
    }
    return cached.records;
  };
}
