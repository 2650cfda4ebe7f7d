/**
 * Where cron triggers' schedules live: locally the `CronScheduler` (a timer per trigger), on AWS
 * EventBridge Scheduler. The API's PUT, DELETE, pause and resume of a cron trigger call it; a firing
 * then comes back through `fireCronTrigger`.
 */
export interface TriggerSchedules {
  /** Creates or replaces the schedule of `triggerId`; `enabled: false` keeps it but stops it firing. */
  put(t: {
    tenant: string;
    triggerId: string;
    expression: string;
    timezone?: string;
    startAt?: string;
    endAt?: string;
    enabled: boolean;
  }): Promise<void>;
  /** Deletes the schedule of `triggerId`; no error when there is none. */
  remove(tenant: string, triggerId: string): Promise<void>;
}
