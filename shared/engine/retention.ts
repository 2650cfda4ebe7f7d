import type { WorkflowDefinition } from '../domain/definition-schema.ts';
import { parseDuration } from '../domain/duration.ts';
import type { EngineContext } from './context.ts';

const DAY_SECONDS = 86_400;

/** How long an ended run is kept: the definition's `retentionDays`, else the deployment's. */
export function retentionDaysOf(cx: EngineContext, definition: WorkflowDefinition): number {
  return definition.retentionDays ?? cx.settings.retentionDays;
}

/** The TTL (epoch seconds) of a run that ends now. */
export function endedExpiry(cx: EngineContext, definition: WorkflowDefinition): number {
  return Math.floor(cx.now() / 1000) + retentionDaysOf(cx, definition) * DAY_SECONDS;
}

/**
 * The TTL (epoch seconds) of a run that starts (or restarts, for a retry) now: as long as it may
 * stay active (its `timeout`, else `maxRunDays`), then its retention.
 */
export function activeExpiry(cx: EngineContext, definition: WorkflowDefinition): number {
  const timeoutMs = definition.timeout === undefined ? undefined : parseDuration(definition.timeout);
  const activeDays = timeoutMs === undefined ? cx.settings.maxRunDays : Math.ceil(timeoutMs / 86_400_000);
  return Math.floor(cx.now() / 1000) + (activeDays + retentionDaysOf(cx, definition)) * DAY_SECONDS;
}
