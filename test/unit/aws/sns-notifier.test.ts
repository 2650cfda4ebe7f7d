import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../../shared/adapters/aws/sns-notifier.ts';
import { NotifyError, type SkeinEvent } from '../../../shared/ports/notifier.ts';

const topicArn = 'arn:aws:sns:eu-west-1:123456789012:skein-events';
const sns = mockClient(SNSClient);
const notifier = new SnsNotifier({ client: new SNSClient({ region: 'eu-west-1' }), topicArn });

const event = (i: number, extra: Partial<SkeinEvent> = {}): SkeinEvent => ({
  type: 'node.succeeded',
  severity: 'info',
  tenant: 'acme',
  workflow: 'orders',
  version: '1.2.0',
  runId: '01JRUN',
  nodeId: `n${i}`,
  time: '2026-01-01T00:00:00.000Z',
  attempt: 1,
  ...extra,
});

beforeEach(() => {
  sns.reset();
});

describe('SnsNotifier', () => {
  it('publishes 25 events as PublishBatch requests of 10, 10 and 5 with unique ids', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });

    // Act
    await notifier.publish(Array.from({ length: 25 }, (_, i) => event(i)));

    // Assess
    const inputs = sns.commandCalls(PublishBatchCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5]);
    expect(inputs.every((input) => input.TopicArn === topicArn)).toBe(true);
    const ids = inputs.flatMap((input) => input.PublishBatchRequestEntries ?? []).map((entry) => entry.Id);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}`));
  });

  it('sends the event as JSON with String attributes tenant, workflow, type and severity', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const failed = event(0, {
      type: 'run.failed',
      severity: 'error',
      nodeId: undefined,
      error: { code: 'HTTP_500', message: 'boom', nodeId: 'fetch' },
    });

    // Act
    await notifier.publish([failed]);

    // Assess
    const [entry] = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries ?? [];
    expect(entry).toEqual({
      Id: 'e0',
      Subject: 'Skein run.failed: orders 1.2.0 run 01JRUN',
      Message: JSON.stringify(failed),
      MessageAttributes: {
        tenant: { DataType: 'String', StringValue: 'acme' },
        workflow: { DataType: 'String', StringValue: 'orders' },
        type: { DataType: 'String', StringValue: 'run.failed' },
        severity: { DataType: 'String', StringValue: 'error' },
      },
    });
  });

  it('leaves out the attributes an event has no value for, as SNS refuses empty ones', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const orphan: SkeinEvent = {
      type: 'node.started',
      severity: 'info',
      runId: 'r1',
      nodeId: 'a',
      time: 't',
    };

    // Act
    await notifier.publish([orphan]);

    // Assess
    const [entry] = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries ?? [];
    expect(Object.keys(entry?.MessageAttributes ?? {})).toEqual(['type', 'severity']);
    expect(entry?.Subject).toBe('Skein node.started: run r1 node a');
  });

  it('throws a NotifyError naming the failed entries of a partly failed batch', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({
      Successful: [{ Id: 'e0', MessageId: 'm0' }],
      Failed: [{ Id: 'e1', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });

    // Act
    const publishing = notifier.publish([event(0), event(1)]);

    // Assess
    await expect(publishing).rejects.toThrow(NotifyError);
    await expect(publishing).rejects.toThrow('1 of 2 events were not published: #1 InternalError: try again');
    await expect(publishing).rejects.toMatchObject({ failed: [{ index: 1, code: 'InternalError' }] });
  });

  it('sends nothing for no events', async () => {
    // Act
    await notifier.publish([]);

    // Assess
    expect(sns.calls()).toHaveLength(0);
  });
});
