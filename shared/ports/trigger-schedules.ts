// shared/ports/trigger-schedules.ts
/** Where cron triggers' schedules live: EventBridge Scheduler on AWS, an in-process scheduler locally. */
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
export interface TriggerSchedules {
  /** Creates or replaces the schedule that fires the trigger. */
  put(schedule: TriggerSchedule): Promise<void>;
  remove(tenant: string, triggerId: string): Promise<void>;
}
