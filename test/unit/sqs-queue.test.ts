import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { QueueNotFoundError, QueueSendError } from '../../shared/ports/queue.ts';

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/skein-ready';
const sqs = mockClient(SQSClient);
const queue = new SqsQueue({ client: new SQSClient({ region: 'eu-west-1' }), queueUrl });

beforeEach(() => {
  sqs.reset();
});

describe('SqsQueue', () => {
  it('sends 25 messages as 3 batches of at most 10 with unique ids', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 25 }, (_, i) => ({
      body: `n${i}`,
      delaySeconds: i === 0 ? 5 : undefined,
    }));

    // Act
    await queue.send(messages);

    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.Entries?.length)).toEqual([10, 10, 5]);
    expect(calls.every((input) => input.QueueUrl === queueUrl)).toBe(true);
    const entries = calls.flatMap((input) => input.Entries ?? []);
    expect(new Set(entries.map((entry) => entry.Id)).size).toBe(25);
    expect(entries[0]).toEqual({ Id: 'm0', MessageBody: 'n0', DelaySeconds: 5 });
    expect(entries[24]).toEqual({ Id: 'm24', MessageBody: 'n24' });
  });

  it('lists the failed entries of a partly failed batch', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'm1', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });

    // Act
    const sending = queue.send([{ body: 'a' }, { body: 'b' }, { body: 'c' }]);

    // Assess
    await expect(sending).rejects.toThrow(QueueSendError);
    await expect(sending).rejects.toThrow('1 of 3 messages were not sent: #1 InternalError: try again');
    await expect(sending).rejects.toMatchObject({ failed: [{ index: 1, code: 'InternalError' }] });
  });

  it('rejects a delay over 900 seconds without calling SQS', async () => {
    // Act
    const sending = queue.send([{ body: 'a', delaySeconds: 3600 }]);

    // Assess
    await expect(sending).rejects.toThrow(/got 3600; schedule longer waits with the timer port/);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('receives with the receive count and group attributes and maps the messages', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        { MessageId: 'id1', Body: 'b', ReceiptHandle: 'r1', Attributes: { ApproximateReceiveCount: '3' } },
        {
          MessageId: 'id2',
          Body: 'c',
          ReceiptHandle: 'r2',
          Attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'acme' },
        },
      ],
    });

    // Act
    const messages = await queue.receive({ max: 5, waitSeconds: 20, visibilitySeconds: 60 });

    // Assess
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 5,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 60,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
    });
    expect(messages).toEqual([
      { id: 'id1', body: 'b', receipt: 'r1', receiveCount: 3 },
      { id: 'id2', body: 'c', receipt: 'r2', receiveCount: 1, group: 'acme' },
    ]);
  });

  it('deletes and changes visibility by receipt', async () => {
    // Prepare
    sqs.on(DeleteMessageCommand).resolves({}).on(ChangeMessageVisibilityCommand).resolves({});

    // Act
    await queue.delete('r1');
    await queue.changeVisibility('r2', 0);

    // Assess
    expect(sqs.commandCalls(DeleteMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: queueUrl,
      ReceiptHandle: 'r1',
    });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toEqual({
      QueueUrl: queueUrl,
      ReceiptHandle: 'r2',
      VisibilityTimeout: 0,
    });
  });

  it('turns a missing queue into an error naming the queue URL', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).rejects(new QueueDoesNotExist({ message: 'gone', $metadata: {} }));

    // Act
    const receiving = queue.receive();

    // Assess
    await expect(receiving).rejects.toThrow(QueueNotFoundError);
    await expect(receiving).rejects.toThrow(queueUrl);
  });
});
