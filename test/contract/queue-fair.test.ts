import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFairReadyQueue } from '../../functions/local/fair-ready-queue.ts';
import { createQueue, type Fauxqs, sqsClient, startFauxqs } from '../../functions/local/fauxqs.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { bucketOf, FairQueue } from '../../shared/adapters/fair-queue.ts';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { ReceivedMessage } from '../../shared/ports/queue.ts';
import { describeQueueContract } from './queue.contract.ts';

// One fauxqs server in this process for the file; every test gets its own family of queues.
let server: Fauxqs;
let client: SQSClient;
let families = 0;
beforeAll(async () => {
  server = await startFauxqs();
  client = sqsClient(server.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

const realTime = async (seconds: number) => {
  await sleep(seconds * 1000);
};
const fairOnFauxqs = (attributes = {}) =>
  createFairReadyQueue({ client, name: `fair-${++families}`, attributes });

describeQueueContract('FairQueue over memory queues', async () => {
  const clock = new FakeClock();
  const queue = new FairQueue({
    defaultQueue: new MemoryQueue({ clock }),
    subQueue: async () => new MemoryQueue({ clock }),
  });
  return { queue, advance: async (seconds) => clock.advance(seconds * 1000) };
});

describeQueueContract('FairQueue over SQS on fauxqs', async () => ({
  queue: (await fairOnFauxqs()).queue,
  advance: realTime,
}));

describe('FairQueue over SQS on fauxqs', () => {
  it('serves a small tenant among the first batch despite another tenant’s backlog of 1,000', async () => {
    // Prepare
    const { queue } = await fairOnFauxqs();
    await queue.send(Array.from({ length: 1_000 }, (_, i) => ({ body: `big-${i}`, group: 'big' })));
    await queue.send([1, 2, 3].map((i) => ({ body: `small-${i}`, group: 'small' })));

    // Act
    const first = await queue.receive({ max: 10 });

    // Assess
    expect(first).toHaveLength(10);
    expect(first.filter((message) => message.body.startsWith('small'))).toHaveLength(3);
  });

  it('never hands one message to two receives made at the same time', async () => {
    // Prepare
    const { queue } = await fairOnFauxqs();
    await queue.send(
      Array.from({ length: 30 }, (_, i) => ({ body: `m${i}`, group: ['a', 'b', 'c'][i % 3] })),
    );

    // Act
    const batches = await Promise.all(Array.from({ length: 6 }, () => queue.receive({ max: 10 })));
    const rest = await queue.receive({ max: 10 });

    // Assess
    const all = [...batches.flat(), ...rest];
    expect(all).toHaveLength(30);
    expect(new Set(all.map((message) => message.body)).size).toBe(30);
  });

  it('makes one queue per bucket, named after the default one, and sums their depth', async () => {
    // Prepare
    const ready = await fairOnFauxqs({ VisibilityTimeout: '60' });
    const name = new URL(ready.defaultUrl).pathname.split('/').at(-1);

    // Act
    await ready.queue.send([
      { body: 'a', group: 'a' },
      { body: 'b', group: 'b' },
      { body: 'c', group: 'c' },
      { body: 'later', group: 'a', delaySeconds: 600 },
      { body: 'plain' },
    ]);
    await ready.queue.receive({ max: 2 });
    const depth = await ready.depth();

    // Assess
    const suffixes = ready.urls().map((url) => url.split('/').at(-1)?.slice(`${name}`.length));
    expect(suffixes.sort()).toEqual(
      ['', ...['a', 'b', 'c'].map((group) => `-${pad(bucketOf(group, 16))}`)].sort(),
    );
    expect(depth).toEqual({ visible: 2, inFlight: 2, delayed: 1 });
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives, from any sub-queue', async () => {
    // Prepare
    const deadLetterUrl = await createQueue(client, `fair-dlq-${++families}`);
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
    );
    const redrive = { deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: '2' };
    const { queue } = await fairOnFauxqs({ RedrivePolicy: JSON.stringify(redrive) });
    const deadLetter = new SqsQueue({ client, queueUrl: deadLetterUrl });
    await queue.send([{ body: 'poison', group: 'acme' }, { body: 'untagged poison' }]);

    // Act
    const counts: number[][] = [];
    for (let round = 0; round < 2; round += 1) {
      counts.push((await queue.receive({ visibilitySeconds: 1 })).map((m) => m.receiveCount));
      await realTime(1.2);
    }
    const third = await queue.receive({ visibilitySeconds: 1 });

    // Assess
    expect(counts).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(third).toEqual([]);
    const dead: ReceivedMessage[] = await deadLetter.receive();
    expect(dead.map((message) => message.body).sort()).toEqual(['poison', 'untagged poison']);
  });
});

function pad(bucket: number): string {
  return String(bucket).padStart(2, '0');
}
