import { CronScheduler } from '../../shared/adapters/cron-scheduler.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import type { RunEngine } from '../../shared/engine/run-engine.ts';
import type { TriggerDeps } from '../../shared/engine/triggers/deps.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { DefinitionStore } from '../../shared/ports/definition-store.ts';
import type { Ids } from '../../shared/ports/ids.ts';
import type { Notifier } from '../../shared/ports/notifier.ts';
import type { TriggerStore } from '../../shared/ports/trigger-store.ts';

export interface LocalTriggersOptions {
  readonly store: TriggerStore;
  readonly engine: RunEngine;
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly observer?: (event: EngineEvent) => void;
  /** Where `trigger.fired` / `trigger.failed` go (the local monitor's: console, SSE, fauxqs SNS). */
  readonly notifier?: Notifier;
  readonly onError?: (error: unknown) => void;
}

/**
 * Local triggers: the trigger use cases with the `CronScheduler` as their schedules, started
 * (every enabled cron trigger armed, missed firings caught up within their `catchupWindow`).
 * @example const triggers = await startLocalTriggers({ store, engine, definitions, clock, ids });
 */
export async function startLocalTriggers(options: LocalTriggersOptions) {
  let deps: TriggerDeps;
  const onError = options.onError ?? ((error: unknown) => console.error('skein cron:', error));
  const scheduler = new CronScheduler({ deps: () => deps, onError });
  deps = {
    triggers: options.store,
    runner: options.engine,
    definitions: options.definitions,
    schedules: scheduler,
    clock: options.clock,
    ids: options.ids,
    ...(options.observer && { observer: options.observer }),
    ...(options.notifier && { notifier: options.notifier, onNotifyError: onError }),
  };
  await scheduler.start();
  return { deps, scheduler, stop: () => scheduler.stop() };
}
