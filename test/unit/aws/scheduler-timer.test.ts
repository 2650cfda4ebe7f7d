import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_EVENT_AGE_SECONDS,
  MAX_RETRY_ATTEMPTS,
  SchedulerTimer,
  wholeMinuteAt,
} from '../../../shared/adapters/aws/scheduler-timer.ts';

const queueArns = {
  default: 'arn:aws:sqs:eu-west-1:123456789012:Skein-prod-EngineDefaultPoolQueue-AbC',
  gpu: 'arn:aws:sqs:eu-west-1:123456789012:Skein-prod-EngineGpuPoolQueue-DeF',
};
const props = {
  groupName: 'Skein-prod-TimerGroup-XyZ',
  roleArn: 'arn:aws:iam::123456789012:role/Skein-prod-TimerRole',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:Skein-prod-TimerDeadLetters-GhI',
  queueArns,
};
const scheduler = mockClient(SchedulerClient);
const timer = new SchedulerTimer({ client: new SchedulerClient({ region: 'eu-west-1' }), ...props });
const at = Date.UTC(2026, 0, 1, 10, 0, 0, 200);
const body = '{"r":"01JRUN","n":"later","t":"tok"}';

beforeEach(() => {
  scheduler.reset();
});

describe('SchedulerTimer', () => {
  it('creates one UTC at() schedule in the group, sending the body to the pool queue, deleted once done', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:x' });

    // Act
    await timer.schedule(body, at);

    // Assess
    const calls = scheduler.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toEqual({
      Name: expect.stringMatching(/^skein-[0-9a-f]{58}$/),
      ClientToken: input?.Name,
      GroupName: props.groupName,
      ScheduleExpression: 'at(2026-01-01T10:01:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: queueArns.default,
        RoleArn: props.roleArn,
        Input: body,
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: props.deadLetterArn },
      },
    });
    expect(input?.Name?.length).toBeLessThanOrEqual(64);
    expect([MAX_EVENT_AGE_SECONDS, MAX_RETRY_ATTEMPTS]).toEqual([86_400, 185]);
  });

  it('targets the pool queue, and the default pool queue for an unknown pool', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await timer.schedule(body, at, 'gpu');
    await timer.schedule(body, at, 'unknown');

    // Assess
    const targets = scheduler
      .commandCalls(CreateScheduleCommand)
      .map((call) => call.args[0].input.Target?.Arn);
    expect(targets).toEqual([queueArns.gpu, queueArns.default]);
  });

  it('names a retried schedule like the first, and another message, minute or pool differently', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await timer.schedule(body, at);
    await timer.schedule(body, at + 30_000); // the same minute, rounded up
    await timer.schedule(`${body} `, at);
    await timer.schedule(body, at + 61_000);
    await timer.schedule(body, at, 'gpu');

    // Assess
    const names = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input.Name);
    expect(names[0]).toBe(names[1]);
    expect(new Set(names).size).toBe(4);
  });

  it('treats ConflictException as success: that schedule already exists', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(
      new ConflictException({
        message: 'exists',
        Message: 'Schedule skein-… already exists.',
        $metadata: {},
      }),
    );

    // Act
    const scheduling = timer.schedule(body, at);

    // Assess
    await expect(scheduling).resolves.toBeUndefined();
  });

  it('passes other errors through', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(new Error('throttled'));

    // Act
    const scheduling = timer.schedule(body, at);

    // Assess
    await expect(scheduling).rejects.toThrow('throttled');
  });

  it('refuses a time that is not a number, and a configuration without the default pool', async () => {
    // Act
    const creating = () =>
      new SchedulerTimer({ client: new SchedulerClient({}), ...props, queueArns: { gpu: queueArns.gpu } });

    // Assess
    expect(creating).toThrow('SchedulerTimer needs the "default" pool\'s queue ARN');
    await expect(timer.schedule(body, Number.NaN)).rejects.toThrow('got NaN');
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });
});

describe('wholeMinuteAt', () => {
  it('rounds up to the next whole minute, never earlier than asked, and keeps a whole minute', () => {
    expect(wholeMinuteAt(Date.UTC(2026, 0, 1, 10, 0, 0, 200))).toBe('2026-01-01T10:01:00');
    expect(wholeMinuteAt(Date.UTC(2026, 5, 30, 23, 59, 30))).toBe('2026-07-01T00:00:00');
    expect(wholeMinuteAt(Date.UTC(2026, 5, 30, 23, 59, 0))).toBe('2026-06-30T23:59:00');
  });
});
