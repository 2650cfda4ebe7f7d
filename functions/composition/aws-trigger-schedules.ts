/**
 * Cron triggers' schedules on AWS, for the function that keeps triggers (the api): built on first
 * use from `SKEIN_TRIGGER_SCHEDULE_GROUP`, `SKEIN_TRIGGER_SCHEDULER_ROLE_ARN` and
 * `SKEIN_TRIGGER_QUEUE_ARN` (set by `SkeinTriggers.grantSchedules`), so a missing one is named
 * on the first trigger write.
 * @example const schedules = triggerSchedules(); await schedules.put({ tenant, triggerId, expression, enabled: true });
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SchedulerTriggerSchedules } from '../../shared/adapters/aws/scheduler-trigger-schedules.ts';
import { config, once, tracer } from './aws-common.ts';

export const triggerSchedules = once(() => {
  const { group, roleArn, queueArn } = config.triggerSchedules;
  return new SchedulerTriggerSchedules({
    client: tracer.captureAWSv3Client(new SchedulerClient({})),
    groupName: group,
    roleArn,
    queueArn,
  });
});
