import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_FIRING_AGE_SECONDS,
  SchedulerTriggerSchedules,
  triggerScheduleName,
} from '../../../shared/adapters/aws/scheduler-trigger-schedules.ts';
import { AwsCronError } from '../../../shared/domain/aws-cron.ts';

const props = {
  groupName: 'Skein-prod-TriggersGroup-XyZ',
  roleArn: 'arn:aws:iam::123456789012:role/Skein-prod-TriggersSchedulerRole',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:Skein-prod-TriggersQueue-AbC',
};
const scheduler = mockClient(SchedulerClient);
const schedules = new SchedulerTriggerSchedules({
  client: new SchedulerClient({ region: 'eu-west-1' }),
  ...props,
});
const nightly = { tenant: 'acme', triggerId: 'nightly', expression: '0 2 * * 1-5', enabled: true };

beforeEach(() => {
  scheduler.reset();
});

describe('SchedulerTriggerSchedules', () => {
  it('creates one recurring schedule in the group, firing a cron message into the trigger queue', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:x' });

    // Act
    await schedules.put({ ...nightly, timezone: 'Europe/Paris' });

    // Assess
    const calls = scheduler.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Name: triggerScheduleName('acme', 'nightly'),
      GroupName: props.groupName,
      Description: 'Skein cron trigger acme/nightly: 0 2 * * 1-5',
      ScheduleExpression: 'cron(0 2 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: props.queueArn,
        RoleArn: props.roleArn,
        Input:
          '{"kind":"cron","tenant":"acme","triggerId":"nightly","scheduledAt":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumEventAgeInSeconds: MAX_FIRING_AGE_SECONDS, MaximumRetryAttempts: 185 },
      },
    });
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('fires a six-field expression every minute, the seconds field travelling in the message', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await schedules.put({ ...nightly, expression: '*/10 * * * * *' });

    // Assess
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input?.ScheduleExpression).toBe('cron(* * * * ? *)');
    expect(input?.ScheduleExpressionTimezone).toBe('UTC');
    expect(JSON.parse(input?.Target?.Input ?? '')).toEqual({
      kind: 'cron',
      tenant: 'acme',
      triggerId: 'nightly',
      scheduledAt: '<aws.scheduler.scheduled-time>',
      seconds: '*/10',
    });
  });

  it('creates a disabled trigger’s schedule DISABLED, with its start and end', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await schedules.put({
      ...nightly,
      enabled: false,
      startAt: '2026-02-01T00:00:00Z',
      endAt: '2026-03-01T00:00:00Z',
    });

    // Assess
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input?.State).toBe('DISABLED');
    expect(input?.StartDate).toEqual(new Date('2026-02-01T00:00:00Z'));
    expect(input?.EndDate).toEqual(new Date('2026-03-01T00:00:00Z'));
  });

  it('replaces an existing schedule with UpdateSchedule, carrying the whole definition', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }))
      .on(UpdateScheduleCommand)
      .resolves({ ScheduleArn: 'arn:x' });

    // Act
    await schedules.put({ ...nightly, enabled: false });

    // Assess
    const create = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    const update = scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input;
    expect(update).toEqual(create);
    expect(update?.State).toBe('DISABLED');
  });

  it('passes other Scheduler errors on', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(new Error('ThrottlingException'));

    // Act / Assess
    await expect(schedules.put(nightly)).rejects.toThrow('ThrottlingException');
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('refuses an expression AWS cron cannot say, before calling Scheduler', async () => {
    // Act / Assess
    await expect(schedules.put({ ...nightly, expression: '0 2 1 * 1' })).rejects.toThrow(AwsCronError);
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('deletes the trigger’s schedule from the group', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).resolves({});

    // Act
    await schedules.remove('acme', 'nightly');

    // Assess
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
      Name: triggerScheduleName('acme', 'nightly'),
      GroupName: props.groupName,
    });
  });

  it('treats deleting a schedule that is gone as done', async () => {
    // Prepare
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));

    // Act / Assess
    await expect(schedules.remove('acme', 'nightly')).resolves.toBeUndefined();
  });

  it('passes other delete errors on', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).rejects(new Error('AccessDenied'));

    // Act / Assess
    await expect(schedules.remove('acme', 'nightly')).rejects.toThrow('AccessDenied');
  });
});

describe('triggerScheduleName', () => {
  it('is readable and stable', () => {
    expect(triggerScheduleName('acme', 'nightly')).toMatch(/^acme\.nightly-[0-9a-f]{16}$/);
    expect(triggerScheduleName('acme', 'nightly')).toBe(triggerScheduleName('acme', 'nightly'));
  });

  it.each([
    ['long ids', 'a'.repeat(60), 'b'.repeat(60)],
    ['characters Scheduler refuses', 'acme corp', 'nightly/été'],
  ])('fits Scheduler’s 64 characters of [0-9a-zA-Z-_.] with %s', (_what, tenant, trigger) => {
    expect(triggerScheduleName(tenant, trigger)).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
  });

  it('keeps triggers apart whose readable parts collide', () => {
    expect(triggerScheduleName('a.b', 'c')).not.toBe(triggerScheduleName('a', 'b.c'));
    expect(triggerScheduleName('acme', 'a b')).not.toBe(triggerScheduleName('acme', 'a_b'));
    expect(triggerScheduleName('t', `${'x'.repeat(70)}1`)).not.toBe(
      triggerScheduleName('t', `${'x'.repeat(70)}2`),
    );
  });
});
