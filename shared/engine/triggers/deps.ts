import type { Clock } from '../../ports/clock.ts';
import type { DefinitionStore } from '../../ports/definition-store.ts';
import type { Ids } from '../../ports/ids.ts';
import type { Notifier } from '../../ports/notifier.ts';
import type { TriggerSchedules } from '../../ports/trigger-schedules.ts';
import type { TriggerStore } from '../../ports/trigger-store.ts';
import type { EngineEvent } from '../context.ts';
import type { RunEngine } from '../run-engine.ts';

/**
 * What a firing needs of the run engine: evaluate the `inputs` template, start a run, read one,
 * cancel one (`cancel_other`).
 */
export type TriggerRunner = Pick<RunEngine, 'evaluateTemplate' | 'startRun' | 'getRunRecord' | 'cancel'>;

/** The ports of the trigger use cases (`manage.ts`, `fire.ts`, `cron-tick.ts`, `webhook.ts`). */
export interface TriggerDeps {
  readonly triggers: TriggerStore;
  readonly runner: TriggerRunner;
  readonly definitions: DefinitionStore;
  /** Told about every cron trigger's schedule; absent: nothing schedules them (tests fire by hand). */
  readonly schedules?: TriggerSchedules;
  readonly clock: Clock;
  readonly ids: Ids;
  /** `trigger.fired` and `trigger.failed`. */
  readonly observer?: (event: EngineEvent) => void;
  /** Publishes `trigger.fired` and `trigger.failed` to subscribers (SNS); absent: not published. */
  readonly notifier?: Notifier;
  /** A publication that failed (the firing itself stands). @default ignored */
  readonly onNotifyError?: (error: unknown) => void;
}

export const iso = (ms: number) => new Date(ms).toISOString();
