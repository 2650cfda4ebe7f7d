import { tickCron } from '../engine/triggers/cron-tick.ts';
import type { TriggerDeps } from '../engine/triggers/deps.ts';
import type { TriggerSchedules } from '../ports/trigger-schedules.ts';

export interface CronSchedulerOptions {
  /** The trigger use cases' ports; `schedules` in them should be this scheduler. */
  readonly deps: () => TriggerDeps;
  /** Sets a real timer. @default setTimeout (unref'd) */
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
  readonly onError?: (error: unknown) => void;
}

interface Armed {
  readonly tenant: string;
  readonly triggerId: string;
  wakeAt?: number;
  handle?: unknown;
  /** A tick in progress: a second one waits for it instead of racing it. */
  running?: Promise<void>;
}

/**
 * Local cron: one timer per enabled cron trigger, set for its next fire time (croner computes it
 * in `tickCron`, in the trigger's time zone) through the deps' Clock, so a FakeClock drives it in
 * tests (`runDue`). `start` arms every enabled cron trigger in the store and catches up what was
 * missed while the process was down, within each trigger's `catchupWindow`. Firings are
 * idempotent, so a tick that runs twice starts nothing twice.
 * @example const scheduler = new CronScheduler({ deps: () => triggerDeps }); await scheduler.start();
 */
export class CronScheduler implements TriggerSchedules {
  private readonly armed = new Map<string, Armed>();
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private stopped = false;

  constructor(private readonly options: CronSchedulerOptions) {
    this.setTimer =
      options.setTimer ??
      ((run, ms) => {
        const handle = setTimeout(run, ms);
        handle.unref();
        return handle;
      });
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
  }

  /** Arms every enabled cron trigger and ticks each once (the catch-up after a restart). */
  async start(): Promise<void> {
    const triggers = await this.options.deps().triggers.listCron();
    await Promise.all(triggers.map((t) => this.tick(this.entry(t.tenant, t.triggerId))));
  }

  async put(t: Parameters<TriggerSchedules['put']>[0]): Promise<void> {
    if (!t.enabled) return this.remove(t.tenant, t.triggerId);
    const entry = this.entry(t.tenant, t.triggerId);
    await this.tick(entry);
  }

  async remove(tenant: string, triggerId: string): Promise<void> {
    const key = keyOf(tenant, triggerId);
    const entry = this.armed.get(key);
    if (entry?.handle !== undefined) this.clearTimer(entry.handle);
    this.armed.delete(key);
  }

  /** Ticks every armed trigger whose wake time has come (what the timers do; tests call it). */
  async runDue(): Promise<void> {
    const now = this.options.deps().clock.now();
    const due = [...this.armed.values()].filter((entry) => entry.wakeAt !== undefined && entry.wakeAt <= now);
    await Promise.all(due.map((entry) => this.tick(entry)));
  }

  /** When each armed trigger wakes next (epoch ms), for tests and diagnostics. */
  wakeTimes(): Record<string, number | undefined> {
    return Object.fromEntries([...this.armed.values()].map((e) => [`${e.tenant}/${e.triggerId}`, e.wakeAt]));
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.armed.values()) if (entry.handle !== undefined) this.clearTimer(entry.handle);
    this.armed.clear();
  }

  private entry(tenant: string, triggerId: string): Armed {
    const key = keyOf(tenant, triggerId);
    let entry = this.armed.get(key);
    if (!entry) {
      entry = { tenant, triggerId };
      this.armed.set(key, entry);
    }
    return entry;
  }

  private async tick(entry: Armed): Promise<void> {
    for (let running = entry.running; running !== undefined; running = entry.running) await running;
    const running = this.tickOnce(entry).finally(() => {
      entry.running = undefined;
    });
    entry.running = running;
    await running;
  }

  private async tickOnce(entry: Armed): Promise<void> {
    if (entry.handle !== undefined) this.clearTimer(entry.handle);
    entry.handle = undefined;
    let wakeAt: number | undefined;
    try {
      ({ wakeAt } = await tickCron(this.options.deps(), entry.tenant, entry.triggerId));
    } catch (error) {
      (this.options.onError ?? console.error)(error);
      wakeAt = this.options.deps().clock.now() + 1_000; // the store was down: try again soon
    }
    entry.wakeAt = wakeAt;
    if (this.stopped || this.armed.get(keyOf(entry.tenant, entry.triggerId)) !== entry) return;
    if (wakeAt === undefined) {
      this.armed.delete(keyOf(entry.tenant, entry.triggerId));
      return;
    }
    const delay = Math.max(0, wakeAt - this.options.deps().clock.now());
    entry.handle = this.setTimer(
      () => void this.tick(entry).catch(this.options.onError ?? console.error),
      delay,
    );
  }
}

const keyOf = (tenant: string, triggerId: string) => `${tenant}\u0000${triggerId}`;
