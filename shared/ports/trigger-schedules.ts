/** A cron trigger's schedule, as `TriggerSchedules` keeps it. */
export interface TriggerSchedule {
  readonly tenant: string;
  readonly triggerId: string;
  /** Five or six fields (six: seconds first). */
  readonly expression: string;
  readonly timezone?: string;
  readonly startAt?: string;
  readonly endAt?: string;
  readonly enabled: boolean;
}

/**
 * Where cron triggers' schedules live: locally the `CronScheduler` (a timer per trigger), on AWS
 * EventBridge Scheduler (`adapters/aws/scheduler-trigger-schedules.ts`). The API's PUT, DELETE,
 * pause and resume of a cron trigger call it; a firing then comes back through the trigger's
 * firing use case (`engine/triggers/fire.ts`).
 */
export interface TriggerSchedules {
  /** Creates or replaces the schedule of the trigger; `enabled: false` keeps it but stops it firing. */
  put(schedule: TriggerSchedule): Promise<void>;
  /** Deletes the schedule of `triggerId`; no error when there is none. */
  remove(tenant: string, triggerId: string): Promise<void>;
}
