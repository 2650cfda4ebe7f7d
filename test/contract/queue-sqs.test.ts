import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, type Fauxqs, sqsClient, startFauxqs } from '../../functions/local/fauxqs.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { QueueNotFoundError } from '../../shared/ports/queue.ts';
import { describeQueueContract } from './queue.contract.ts';

// One fauxqs server in this process for the file; every test gets its own queue.
let server: Fauxqs;
let client: SQSClient;
let queues = 0;
beforeAll(async () => {
  server = await startFauxqs();
  client = sqsClient(server.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

const newQueueUrl = (attributes = {}) => createQueue(client, `ready-${++queues}`, attributes);
const realTime = async (seconds: number) => {
  await sleep(seconds * 1000);
};

describeQueueContract('SQS on fauxqs', async () => ({
  queue: new SqsQueue({ client, queueUrl: await newQueueUrl() }),
  advance: realTime,
}));

describe('SqsQueue on fauxqs', () => {
  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare
    const deadLetterUrl = await newQueueUrl();
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
    );
    const redrive = { deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: '2' };
    const queue = new SqsQueue({
      client,
      queueUrl: await newQueueUrl({ RedrivePolicy: JSON.stringify(redrive) }),
    });
    const deadLetter = new SqsQueue({ client, queueUrl: deadLetterUrl });
    await queue.send([{ body: 'poison' }]);

    // Act
    const first = await queue.receive({ visibilitySeconds: 1 });
    await realTime(1.2);
    const second = await queue.receive({ visibilitySeconds: 1 });
    await realTime(1.2);
    const third = await queue.receive({ visibilitySeconds: 1 });

    // Assess
    expect([first, second].map((batch) => batch.map((m) => m.receiveCount))).toEqual([[1], [2]]);
    expect(third).toEqual([]);
    expect(await deadLetter.receive()).toMatchObject([{ body: 'poison' }]);
  });

  it('names the queue URL when the queue does not exist', async () => {
    // Prepare
    const queueUrl = `${server.endpoint}/000000000000/never-created`;
    const queue = new SqsQueue({ client, queueUrl });

    // Act
    const receiving = queue.receive();

    // Assess
    await expect(receiving).rejects.toThrow(QueueNotFoundError);
    await expect(receiving).rejects.toThrow(`queue ${queueUrl} does not exist`);
  });
});
