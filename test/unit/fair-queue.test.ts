import { describe, expect, it } from 'vitest';
import { bucketOf, FairQueue } from '../../shared/adapters/fair-queue.ts';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { type Queue, QueueSendError, type ReceivedMessage } from '../../shared/ports/queue.ts';

/** A FairQueue over memory queues on one fake clock, recording which buckets it opened. */
function fairOverMemory(options: { buckets?: number; pollMs?: number; clock?: FakeClock } = {}) {
  const clock = options.clock ?? new FakeClock();
  const opened = new Map<string, MemoryQueue>();
  const defaultQueue = new MemoryQueue({ clock });
  const queue = new FairQueue({
    defaultQueue,
    subQueue: async (bucket) => {
      const made = new MemoryQueue({ clock });
      opened.set(bucket, made);
      return made;
    },
    ...options,
  });
  return { queue, clock, opened, defaultQueue };
}

const bodies = (batch: readonly ReceivedMessage[]) => batch.map((message) => message.body);

describe('FairQueue fairness', () => {
  it('serves a small group among the first batch despite another group’s backlog of 1,000', async () => {
    // Prepare
    expect(bucketOf('big', 16)).not.toBe(bucketOf('small', 16));
    const { queue } = fairOverMemory();
    await queue.send(Array.from({ length: 1_000 }, (_, i) => ({ body: `big-${i}`, group: 'big' })));
    await queue.send([1, 2, 3].map((i) => ({ body: `small-${i}`, group: 'small' })));

    // Act
    const first = await queue.receive({ max: 10 });
    const second = await queue.receive({ max: 10 });

    // Assess
    expect(first).toHaveLength(10);
    expect(
      bodies(first)
        .filter((body) => body.startsWith('small'))
        .sort(),
    ).toEqual(['small-1', 'small-2', 'small-3']);
    expect(bodies(second)).toEqual(Array.from({ length: 10 }, (_, i) => `big-${i + 7}`));
  });

  it('starts each receive after the sub-queue served first last time', async () => {
    // Prepare
    const { queue } = fairOverMemory();
    for (const group of ['a', 'b', 'c']) {
      await queue.send(Array.from({ length: 5 }, (_, i) => ({ body: `${group}${i}`, group })));
    }

    // Act
    const firsts: (string | undefined)[] = [];
    for (let i = 0; i < 6; i += 1) firsts.push((await queue.receive({ max: 1 }))[0]?.body);

    // Assess: buckets of a, b, c are 2, 6, 3, so the turn goes a, c, b.
    expect(firsts).toEqual(['a0', 'c0', 'b0', 'a1', 'c1', 'b1']);
  });

  it('fills a receive from the sub-queues that have more when others run dry', async () => {
    // Prepare
    const { queue } = fairOverMemory();
    await queue.send([{ body: 'lonely', group: 'a' }]);
    await queue.send(Array.from({ length: 20 }, (_, i) => ({ body: `b${i}`, group: 'b' })));
    await queue.send([{ body: 'untagged' }]);

    // Act
    const batch = await queue.receive({ max: 10 });

    // Assess
    expect(batch).toHaveLength(10);
    expect(bodies(batch)).toEqual(expect.arrayContaining(['lonely', 'untagged', 'b0', 'b7']));
  });

  it('never hands one message to two receives made at the same time', async () => {
    // Prepare
    const { queue } = fairOverMemory();
    await queue.send(
      Array.from({ length: 15 }, (_, i) => ({ body: `m${i}`, group: ['a', 'b', 'c'][i % 3] })),
    );

    // Act
    const batches = await Promise.all(Array.from({ length: 4 }, () => queue.receive({ max: 5 })));

    // Assess
    const all = batches.flat();
    expect(all).toHaveLength(15);
    expect(new Set(bodies(all)).size).toBe(15);
    expect(new Set(all.map((message) => message.id)).size).toBe(15);
  });

  it('keeps at most `buckets` sub-queues, however many groups send', async () => {
    // Prepare
    const { queue, opened } = fairOverMemory({ buckets: 4 });

    // Act
    await queue.send(Array.from({ length: 200 }, (_, i) => ({ body: `t${i}`, group: `tenant-${i}` })));
    const received: ReceivedMessage[] = [];
    for (let batch = await queue.receive(); batch.length > 0; batch = await queue.receive()) {
      received.push(...batch);
    }

    // Assess
    expect([...opened.keys()].sort()).toEqual(['0', '1', '2', '3']);
    expect(received).toHaveLength(200);
  });
});

describe('FairQueue receipts', () => {
  it('routes delete and changeVisibility to the sub-queue that delivered the message', async () => {
    // Prepare
    const { queue, opened, clock } = fairOverMemory();
    await queue.send([
      { body: 'done', group: 'a' },
      { body: 'again', group: 'b' },
    ]);
    const batch = await queue.receive({ visibilitySeconds: 30 });
    const receipt = (body: string) => batch.find((message) => message.body === body)?.receipt ?? '';

    // Act
    await queue.delete(receipt('done'));
    await queue.changeVisibility(receipt('again'), 0);
    const next = await queue.receive();
    clock.advance(60_000);

    // Assess
    expect(next).toMatchObject([{ body: 'again', receiveCount: 2 }]);
    expect(opened.get(queue.bucketName(bucketOf('a', 16)))?.depth()).toEqual({
      visible: 0,
      inFlight: 0,
      delayed: 0,
    });
  });

  it('ignores receipts it did not issue: malformed, another FairQueue’s, or a sub-queue’s own', async () => {
    // Prepare
    const { queue, defaultQueue } = fairOverMemory();
    const other = fairOverMemory().queue;
    await queue.send([{ body: 'kept' }]);
    await other.send([{ body: 'elsewhere' }]);
    const [mine] = await queue.receive({ visibilitySeconds: 30 });
    const [theirs] = await other.receive({ visibilitySeconds: 30 });
    const inner = (mine?.receipt ?? '').split('.').slice(2).join('.');

    // Act
    for (const receipt of ['', 'nonsense', 'abcdefgh.0.m-1#1', theirs?.receipt ?? '', inner]) {
      await queue.delete(receipt);
      await queue.changeVisibility(receipt, 0);
    }

    // Assess
    expect(defaultQueue.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    await expect(queue.changeVisibility(mine?.receipt ?? '', -1)).rejects.toThrow(RangeError);
  });

  it('gives messages of different sub-queues different ids', async () => {
    // Prepare: each memory queue numbers its messages from m-1.
    const { queue } = fairOverMemory();
    await queue.send([{ body: 'x' }, { body: 'y', group: 'a' }, { body: 'z', group: 'b' }]);

    // Act
    const batch = await queue.receive();

    // Assess
    expect(new Set(batch.map((message) => message.id)).size).toBe(3);
  });
});

describe('FairQueue send', () => {
  it('opens a bucket once when sends race, and tries again after the factory failed', async () => {
    // Prepare
    const clock = new FakeClock();
    let calls = 0;
    const queue = new FairQueue({
      defaultQueue: new MemoryQueue({ clock }),
      subQueue: async () => {
        calls += 1;
        if (calls === 1) throw new Error('fauxqs is starting');
        return new MemoryQueue({ clock });
      },
    });

    // Act
    const failing = queue.send([{ body: 'first', group: 'a' }]);
    await expect(failing).rejects.toThrow('fauxqs is starting');
    await Promise.all([queue.send([{ body: 'x', group: 'a' }]), queue.send([{ body: 'y', group: 'a' }])]);

    // Assess
    expect(calls).toBe(2);
    expect(bodies(await queue.receive()).sort()).toEqual(['x', 'y']);
  });

  it('reports failed messages by their index in the send; the others are sent', async () => {
    // Prepare
    const clock = new FakeClock();
    const broken: Queue = {
      send: async () => {
        throw new Error('connection reset');
      },
      receive: async () => [],
      delete: async () => {},
      changeVisibility: async () => {},
    };
    const picky = new MemoryQueue({ clock });
    const queue = new FairQueue({
      defaultQueue: {
        ...broken,
        send: async (messages) => {
          await picky.send(messages.slice(1));
          throw new QueueSendError([{ index: 0, code: 'Throttled', message: 'slow down' }], messages.length);
        },
        receive: (options) => picky.receive(options),
      },
      subQueue: async () => broken,
    });

    // Act
    const sending = queue.send([{ body: 'u0' }, { body: 'a0', group: 'a' }, { body: 'u1' }]);

    // Assess
    await expect(sending).rejects.toThrow(QueueSendError);
    const error = (await sending.catch((caught: unknown) => caught)) as QueueSendError;
    expect(error.failed).toEqual([
      { index: 0, code: 'Throttled', message: 'slow down' },
      { index: 1, code: 'Error', message: 'connection reset' },
    ]);
    expect(error.message).toMatch(/^2 of 3 messages were not sent/);
    expect(bodies(await queue.receive())).toEqual(['u1']);
  });

  it('sends none of a send with a delay over 900 seconds', async () => {
    // Prepare
    const { queue } = fairOverMemory();

    // Act
    const sending = queue.send([
      { body: 'ok', group: 'a' },
      { body: 'late', delaySeconds: 901 },
    ]);

    // Assess
    await expect(sending).rejects.toThrow(/messages\[1\]\.delaySeconds/);
    expect(await queue.receive()).toEqual([]);
  });
});

describe('FairQueue receive errors', () => {
  it('returns what other sub-queues delivered and throws the error on the next receive', async () => {
    // Prepare
    const clock = new FakeClock();
    const healthy = new MemoryQueue({ clock });
    let failing = true;
    const flaky = new MemoryQueue({ clock });
    const queue = new FairQueue({
      defaultQueue: healthy,
      subQueue: async () => ({
        send: (messages) => flaky.send(messages),
        receive: async (options) => {
          if (failing) throw new Error('sub-queue unreachable');
          return flaky.receive(options);
        },
        delete: (receipt) => flaky.delete(receipt),
        changeVisibility: (receipt, seconds) => flaky.changeVisibility(receipt, seconds),
      }),
    });
    await queue.send([{ body: 'plain' }, { body: 'tenant', group: 'a' }]);

    // Act
    const first = await queue.receive();
    const second = queue.receive();
    await expect(second).rejects.toThrow('sub-queue unreachable');
    failing = false;
    const third = await queue.receive();

    // Assess
    expect(bodies(first)).toEqual(['plain']);
    expect(bodies(third)).toEqual(['tenant']);
  });

  it('throws when every sub-queue fails and nothing was received', async () => {
    // Prepare
    const queue = new FairQueue({
      defaultQueue: {
        send: async () => {},
        receive: async () => {
          throw new Error('down');
        },
        delete: async () => {},
        changeVisibility: async () => {},
      },
      subQueue: async () => new MemoryQueue(),
    });

    // Act
    const receiving = queue.receive();

    // Assess
    await expect(receiving).rejects.toThrow('down');
    expect(
      () =>
        new FairQueue({
          defaultQueue: new MemoryQueue(),
          subQueue: async () => new MemoryQueue(),
          buckets: 0,
        }),
    ).toThrow('buckets must be a whole number from 1 to 100, got 0');
  });
});

describe('FairQueue long polling', () => {
  it('wakes a waiting receive as soon as a message is sent', async () => {
    // Prepare: without the wake-up, this receive would sit out its 20 s.
    const queue = new FairQueue({
      defaultQueue: new MemoryQueue(),
      subQueue: async () => new MemoryQueue(),
      pollMs: 60_000,
    });
    const waiting = queue.receive({ waitSeconds: 20 });

    // Act
    await queue.send([{ body: 'hello', group: 'a' }]);

    // Assess
    expect(bodies(await waiting)).toEqual(['hello']);
  });

  it('wakes a waiting receive when a delayed message becomes visible', async () => {
    // Prepare
    const queue = new FairQueue({
      defaultQueue: new MemoryQueue(),
      subQueue: async () => new MemoryQueue(),
      pollMs: 60_000,
    });
    await queue.send([{ body: 'soon', delaySeconds: 1 }]);

    // Act
    const received = await queue.receive({ waitSeconds: 20 });

    // Assess
    expect(bodies(received)).toEqual(['soon']);
  });

  it('returns nothing once waitSeconds pass, asking the sub-queues once per pollMs, not in a loop', async () => {
    // Prepare
    let asked = 0;
    const empty = new MemoryQueue();
    const counting: Queue = {
      send: (messages) => empty.send(messages),
      receive: (options) => {
        asked += 1;
        return empty.receive(options);
      },
      delete: (receipt) => empty.delete(receipt),
      changeVisibility: (receipt, seconds) => empty.changeVisibility(receipt, seconds),
    };
    const queue = new FairQueue({ defaultQueue: counting, subQueue: async () => empty, pollMs: 250 });
    const started = performance.now();

    // Act
    const received = await queue.receive({ waitSeconds: 1 });

    // Assess
    expect(received).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(asked).toBeLessThanOrEqual(6);
  });
});
