/**
 * TriggerSchedules on EventBridge Scheduler: one recurring schedule per cron trigger, in the
 * stack's trigger schedule group, whose SQS target is the trigger queue. The message is a
 * `CronFiring` (`cron-fan-out.ts`) with Scheduler's `<aws.scheduler.scheduled-time>` as
 * `scheduledAt`; a six-field expression's schedule fires every matching minute and carries the
 * seconds field, which the trigger handler fans out with SQS delays.
 *
 * `put` creates the schedule and, when it exists (`ConflictException`), updates it: both calls
 * carry the whole definition, so a put replaces every setting. `remove` of a schedule that does
 * not exist succeeds. The expression is converted by `toAwsCron`, which refuses (a 422) what AWS
 * cron cannot say, before any call.
 */
import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { toAwsCron } from '../../domain/aws-cron.ts';
import type { CronFiring } from '../../domain/cron-fan-out.ts';
import type { TriggerSchedule, TriggerSchedules } from '../../ports/trigger-schedules.ts';

export interface SchedulerTriggerSchedulesProps {
  readonly client: SchedulerClient;
  /** The stack's trigger schedule group (deleting it deletes the schedules). */
  readonly groupName: string;
  /** The role Scheduler assumes: it may only send to {@link queueArn}. */
  readonly roleArn: string;
  /** The trigger queue. */
  readonly queueArn: string;
}

/**
 * How long Scheduler retries delivering a firing to the trigger queue: a cron firing an hour late
 * is better dropped (the next one comes) than delivered into another hour's work.
 */
export const MAX_FIRING_AGE_SECONDS = 3_600;
/** Scheduler's placeholder for the time a firing was due (ISO 8601, whole minute). */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/**
 * Keeps cron triggers' schedules in EventBridge Scheduler.
 * @example
 * const schedules = new SchedulerTriggerSchedules({ client, groupName, roleArn, queueArn });
 * await schedules.put({ tenant: 'acme', triggerId: 'nightly', expression: '0 2 * * *', timezone: 'Europe/Paris', enabled: true });
 */
export class SchedulerTriggerSchedules implements TriggerSchedules {
  private readonly client: SchedulerClient;
  private readonly props: SchedulerTriggerSchedulesProps;

  constructor(props: SchedulerTriggerSchedulesProps) {
    this.client = props.client;
    this.props = props;
  }

  async put(schedule: TriggerSchedule): Promise<void> {
    const { expression, seconds } = toAwsCron(schedule.expression);
    const firing: CronFiring = {
      kind: 'cron',
      tenant: schedule.tenant,
      triggerId: schedule.triggerId,
      scheduledAt: SCHEDULED_TIME,
      ...(seconds !== undefined && { seconds }),
    };
    const input: CreateScheduleCommandInput = {
      Name: triggerScheduleName(schedule.tenant, schedule.triggerId),
      GroupName: this.props.groupName,
      Description:
        `Skein cron trigger ${schedule.tenant}/${schedule.triggerId}: ${schedule.expression}`.slice(0, 512),
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: schedule.timezone ?? 'UTC',
      ...(schedule.startAt !== undefined && { StartDate: new Date(schedule.startAt) }),
      ...(schedule.endAt !== undefined && { EndDate: new Date(schedule.endAt) }),
      State: schedule.enabled ? 'ENABLED' : 'DISABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: this.props.queueArn,
        RoleArn: this.props.roleArn,
        Input: JSON.stringify(firing),
        RetryPolicy: { MaximumEventAgeInSeconds: MAX_FIRING_AGE_SECONDS, MaximumRetryAttempts: 185 },
      },
    };
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (nameOf(error) !== 'ConflictException') throw error;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }

  async remove(tenant: string, triggerId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteScheduleCommand({
          Name: triggerScheduleName(tenant, triggerId),
          GroupName: this.props.groupName,
        }),
      );
    } catch (error) {
      if (nameOf(error) !== 'ResourceNotFoundException') throw error;
    }
  }
}

const nameOf = (error: unknown): unknown => (error as { name?: unknown } | null)?.name;

/** Scheduler's limit on schedule names. */
const MAX_NAME = 64;
const HASH_CHARS = 16;

/**
 * The schedule's name: `<tenant>.<trigger>` with characters Scheduler refuses made `_`, cut to
 * fit, then `-` and 16 hex digits of sha256 over tenant and trigger, so two triggers never share
 * a name however their readable parts collide, and the name stays under 64 characters.
 * @example triggerScheduleName('acme', 'nightly') // 'acme.nightly-3f9a0c...'
 */
export function triggerScheduleName(tenant: string, triggerId: string): string {
  const hash = createHash('sha256').update(`${tenant}\n${triggerId}`, 'utf8').digest('hex');
  const readable = `${tenant}.${triggerId}`.replace(/[^0-9A-Za-z_.-]/g, '_');
  return `${readable.slice(0, MAX_NAME - HASH_CHARS - 1)}-${hash.slice(0, HASH_CHARS)}`;
}
