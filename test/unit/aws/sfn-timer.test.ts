import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnTimer, wholeSecondIso } from '../../../shared/adapters/aws/sfn-timer.ts';

const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:skein-timer';
const queueUrls = {
  default: 'https://sqs.eu-west-1.amazonaws.com/123456789012/skein-default',
  gpu: 'https://sqs.eu-west-1.amazonaws.com/123456789012/skein-gpu',
};
const sfn = mockClient(SFNClient);
const timer = new SfnTimer({ client: new SFNClient({ region: 'eu-west-1' }), stateMachineArn, queueUrls });
const at = Date.UTC(2026, 0, 1, 10, 0, 0, 200);
const body = '{"r":"01JRUN","n":"later","t":"tok"}';

beforeEach(() => {
  sfn.reset();
});

describe('SfnTimer', () => {
  it('starts one execution with the queue URL, the body and the time in whole seconds, rounded up', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });

    // Act
    await timer.schedule(body, at);

    // Assess
    const [call] = sfn.commandCalls(StartExecutionCommand);
    const input = call?.args[0].input;
    expect(input?.stateMachineArn).toBe(stateMachineArn);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      queueUrl: queueUrls.default,
      body,
      at: '2026-01-01T10:00:01Z',
    });
    expect(input?.name).toMatch(/^t-[0-9a-f]{64}$/);
  });

  it('sends to the pool queue, and to the default pool queue for an unknown pool', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({});

    // Act
    await timer.schedule(body, at, 'gpu');
    await timer.schedule(body, at, 'unknown');

    // Assess
    const queues = sfn
      .commandCalls(StartExecutionCommand)
      .map((call) => JSON.parse(call.args[0].input.input ?? '').queueUrl);
    expect(queues).toEqual([queueUrls.gpu, queueUrls.default]);
  });

  it('names a retried schedule like the first and another message or time differently', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({});

    // Act
    await timer.schedule(body, at);
    await timer.schedule(body, at);
    await timer.schedule(`${body} `, at);
    await timer.schedule(body, at + 5_000);

    // Assess
    const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(names[0]).toBe(names[1]);
    expect(new Set(names).size).toBe(3);
  });

  it('treats ExecutionAlreadyExists as success: the timer is already running', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const scheduling = timer.schedule(body, at);

    // Assess
    await expect(scheduling).resolves.toBeUndefined();
  });

  it('passes other errors through', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));

    // Act
    const scheduling = timer.schedule(body, at);

    // Assess
    await expect(scheduling).rejects.toThrow('throttled');
  });

  it('refuses a configuration without the default pool', () => {
    // Act
    const creating = () =>
      new SfnTimer({ client: new SFNClient({}), stateMachineArn, queueUrls: { gpu: 'x' } });

    // Assess
    expect(creating).toThrow('SfnTimer needs the "default" pool\'s queue URL');
  });

  it('keeps a time already on a whole second', () => {
    // Act
    const iso = wholeSecondIso(Date.UTC(2026, 5, 30, 23, 59, 59));

    // Assess
    expect(iso).toBe('2026-06-30T23:59:59Z');
  });
});
