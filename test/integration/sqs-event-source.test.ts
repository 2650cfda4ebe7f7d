import { createHash } from 'node:crypto';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createQueue, type Fauxqs, sqsClient, startFauxqs } from '../../functions/local/fauxqs.ts';
import {
  type SqsEventSource,
  type SqsEventSourceOptions,
  startSqsEventSource,
} from '../../functions/local/sqs-event-source.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { FakeClock } from '../../shared/ports/clock.ts';

// One fauxqs server in this process for the file; every test gets its own queue whose
// visibility timeout is 1 s, so a message that is not deleted comes back within about a second.
// Tests of redelivery short-poll (waitSeconds 0) to keep the file fast: with the default 1 s long
// poll, idle() and the stop() after each test both wait for an empty long poll to end.
let server: Fauxqs;
let client: SQSClient;
let queues = 0;
const sources: SqsEventSource[] = [];
beforeAll(async () => {
  server = await startFauxqs();
  client = sqsClient(server.endpoint);
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

interface Delivery {
  readonly body: string;
  readonly receiveCount: string;
}

/** A fresh fauxqs queue with the bodies sent, and what the event source needs to read it. */
async function fauxqsQueue(bodies: readonly string[]) {
  const queueUrl = await createQueue(client, `events-${++queues}`, { VisibilityTimeout: '1' });
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = new SqsQueue({ client, queueUrl });
  await queue.send(bodies.map((body) => ({ body })));
  return { queue, queueUrl, queueArn: Attributes?.QueueArn ?? '' };
}

/** Messages still in the queue, visible or not: 0 means every one was deleted. */
async function remaining(queueUrl: string): Promise<number> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

/** Starts an event source that records every delivery and is stopped after the test. */
function start(
  options: Omit<SqsEventSourceOptions, 'handler'> & {
    readonly respond?: (event: SQSEvent, call: number) => ReturnType<SqsEventSourceOptions['handler']>;
  },
) {
  const deliveries: Delivery[] = [];
  const events: SQSEvent[] = [];
  const errors: unknown[] = [];
  const { respond, ...rest } = options;
  const source = startSqsEventSource({
    onError: (error) => errors.push(error),
    ...rest,
    handler: async (event) => {
      events.push(event);
      deliveries.push(
        ...event.Records.map((record) => ({
          body: record.body,
          receiveCount: record.attributes.ApproximateReceiveCount,
        })),
      );
      return respond?.(event, events.length);
    },
  });
  sources.push(source);
  return { source, deliveries, events, errors };
}

const idOf = (event: SQSEvent, body: string) => event.Records.find((r) => r.body === body)?.messageId ?? '';
const sorted = (deliveries: readonly Delivery[]) =>
  [...deliveries].sort((a, b) => `${a.body}${a.receiveCount}`.localeCompare(`${b.body}${b.receiveCount}`));

describe('startSqsEventSource on fauxqs', () => {
  it('delivers a batch as an SQSEvent and deletes its messages after the handler succeeds', async () => {
    // Prepare
    const { queue, queueUrl, queueArn } = await fauxqsQueue(['a', 'b', 'c']);

    // Act
    const { source, events, deliveries } = start({ queue, queueArn });
    await vi.waitFor(() => expect(deliveries).toHaveLength(3), { timeout: 5_000 });
    await source.idle();

    // Assess
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: 'a',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d+$/) },
      messageAttributes: {},
      md5OfBody: createHash('md5').update('a').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'local',
    });
    expect(record?.messageId).not.toBe('');
    expect(sorted(deliveries).map((d) => d.body)).toEqual(['a', 'b', 'c']);
    expect(await remaining(queueUrl)).toBe(0);
  });

  it('redelivers a message reported in batchItemFailures and deletes the others', async () => {
    // Prepare
    const { queue, queueUrl, queueArn } = await fauxqsQueue(['a', 'b', 'c']);

    // Act
    const { source, deliveries, errors } = start({
      queue,
      queueArn,
      waitSeconds: 0,
      respond: async (event) => ({
        batchItemFailures: event.Records.filter(
          (r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1',
        ).map((r) => ({ itemIdentifier: r.messageId })),
      }),
    });
    await vi.waitFor(() => expect(deliveries).toContainEqual({ body: 'b', receiveCount: '2' }), {
      timeout: 5_000,
    });
    await source.idle();

    // Assess
    expect(sorted(deliveries)).toEqual([
      { body: 'a', receiveCount: '1' },
      { body: 'b', receiveCount: '1' },
      { body: 'b', receiveCount: '2' },
      { body: 'c', receiveCount: '1' },
    ]);
    expect(errors).toEqual([]);
    expect(await remaining(queueUrl)).toBe(0);
  });

  it('gives the whole batch again when the handler throws, and reports the error', async () => {
    // Prepare
    const { queue, queueUrl, queueArn } = await fauxqsQueue(['a', 'b']);
    const failure = new Error('worker crashed');

    // Act
    const { source, deliveries, errors } = start({
      queue,
      queueArn,
      waitSeconds: 0,
      respond: async (_event, call) => {
        if (call === 1) throw failure;
      },
    });
    await vi.waitFor(() => expect(deliveries).toHaveLength(4), { timeout: 5_000 });
    await source.idle();

    // Assess
    expect(sorted(deliveries)).toEqual([
      { body: 'a', receiveCount: '1' },
      { body: 'a', receiveCount: '2' },
      { body: 'b', receiveCount: '1' },
      { body: 'b', receiveCount: '2' },
    ]);
    expect(errors).toEqual([failure]);
    expect(await remaining(queueUrl)).toBe(0);
  });

  it('fails the whole batch when an itemIdentifier is not a messageId of the batch', async () => {
    // Prepare
    const { queue, queueUrl, queueArn } = await fauxqsQueue(['a', 'b']);

    // Act
    const { source, deliveries, errors } = start({
      queue,
      queueArn,
      waitSeconds: 0,
      respond: async (event, call) =>
        call === 1
          ? { batchItemFailures: [{ itemIdentifier: idOf(event, 'a') }, { itemIdentifier: 'unknown-id' }] }
          : undefined,
    });
    await vi.waitFor(() => expect(deliveries).toHaveLength(4), { timeout: 5_000 });
    await source.idle();

    // Assess
    expect(sorted(deliveries).map((d) => `${d.body}${d.receiveCount}`)).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain(
      'batchItemFailures[1].itemIdentifier "unknown-id" is not a messageId',
    );
    expect(await remaining(queueUrl)).toBe(0);
  });

  it('waits in stop() for a handler in flight to finish, then deletes its messages', async () => {
    // Prepare
    const { queue, queueUrl, queueArn } = await fauxqsQueue(['slow']);
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const { source, deliveries } = start({
      queue,
      queueArn,
      respond: async () => {
        await released;
        finished = true;
      },
    });
    await vi.waitFor(() => expect(deliveries).toHaveLength(1), { timeout: 5_000 });

    // Act
    let stopped = false;
    const stopping = source.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stoppedBeforeRelease = stopped;
    release();
    await stopping;

    // Assess
    expect(stoppedBeforeRelease).toBe(false);
    expect(finished).toBe(true);
    expect(await remaining(queueUrl)).toBe(0);
  });
});

describe('startSqsEventSource on the Queue port', () => {
  it('redelivers a failed message from a MemoryQueue once the fake clock passes its visibility timeout', async () => {
    // Prepare
    const clock = new FakeClock();
    const queue = new MemoryQueue({ clock });
    await queue.send([{ body: 'a' }, { body: 'b' }]);
    const { source, deliveries } = start({
      queue,
      queueArn: 'arn:aws:sqs:local:000000000000:ready',
      waitSeconds: 0,
      visibilitySeconds: 10,
      clock,
      respond: async (event, call) =>
        call === 1 ? { batchItemFailures: [{ itemIdentifier: idOf(event, 'b') }] } : undefined,
    });
    await source.idle();
    const before = [...deliveries];

    // Act
    clock.advance(10_000);
    await source.idle();

    // Assess
    expect(before).toEqual([
      { body: 'a', receiveCount: '1' },
      { body: 'b', receiveCount: '1' },
    ]);
    expect(deliveries.slice(2)).toEqual([{ body: 'b', receiveCount: '2' }]);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('runs concurrency pollers in parallel, each with batches of batchSize', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });
    await queue.send(['a', 'b', 'c', 'd'].map((body) => ({ body })));
    let running = 0;
    let mostRunning = 0;

    // Act
    const { source, events } = start({
      queue,
      queueArn: 'arn:aws:sqs:local:000000000000:ready',
      waitSeconds: 0,
      batchSize: 1,
      concurrency: 2,
      respond: async () => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
      },
    });
    await source.idle();

    // Assess
    expect(events.map((event) => event.Records.length)).toEqual([1, 1, 1, 1]);
    expect(mostRunning).toBe(2);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('reports a failing receive and keeps polling after a back-off', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });
    await queue.send([{ body: 'a' }]);
    const outage = new Error('queue unavailable');
    const receive = queue.receive.bind(queue);
    vi.spyOn(queue, 'receive').mockRejectedValueOnce(outage).mockImplementation(receive);

    // Act
    const { source, deliveries, errors } = start({
      queue,
      queueArn: 'arn:aws:sqs:local:000000000000:ready',
      waitSeconds: 0,
    });
    await source.idle();

    // Assess
    expect(errors).toEqual([outage]);
    expect(deliveries).toEqual([{ body: 'a', receiveCount: '1' }]);
  });

  it('rejects options outside Lambda and SQS limits, naming the value', () => {
    // Prepare
    const queue = new MemoryQueue();
    const handler = async () => {};

    // Act
    const tooBig = () => startSqsEventSource({ queue, queueArn: 'arn', handler, batchSize: 11 });
    const noPollers = () => startSqsEventSource({ queue, queueArn: 'arn', handler, concurrency: 0 });

    // Assess
    expect(tooBig).toThrow('batchSize must be a whole number from 1 to 10, got 11');
    expect(noPollers).toThrow('concurrency must be a whole number of at least 1, got 0');
  });
});
