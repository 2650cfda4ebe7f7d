import { describe, expect, it } from 'vitest';
import type { Queue, ReceivedMessage } from '../../shared/ports/queue.ts';

export interface QueueFixture {
  readonly queue: Queue;
  /** Moves time on: a fake clock for memory, a real sleep for a server (keep it short). */
  advance(seconds: number): Promise<void>;
}

/**
 * The Queue contract, run against every adapter. Each test gets a fresh, empty queue. Timings are
 * 1 s so the run against a real server stays quick; `advance` adds a margin for timer jitter.
 */
export function describeQueueContract(name: string, makeQueue: () => Promise<QueueFixture>) {
  describe(`Queue contract: ${name}`, () => {
    it('delivers a sent message once and forgets it after delete', async () => {
      // Prepare
      const { queue, advance } = await makeQueue();
      await queue.send([{ body: '{"node":"a"}' }]);

      // Act
      const [message, ...rest] = await queue.receive({ visibilitySeconds: 1 });
      await queue.delete(message?.receipt ?? '');
      await advance(1.2);

      // Assess
      expect(rest).toEqual([]);
      expect(message).toMatchObject({ body: '{"node":"a"}', receiveCount: 1 });
      expect(await queue.receive()).toEqual([]);
    });

    it('delivers every message of a send larger than one batch', async () => {
      // Prepare
      const { queue } = await makeQueue();
      const bodies = Array.from({ length: 25 }, (_, i) => `node-${i}`);

      // Act
      await queue.send(bodies.map((body) => ({ body })));
      const received = await drain(queue);

      // Assess
      expect(received.map((message) => message.body).sort()).toEqual([...bodies].sort());
      expect(new Set(received.map((message) => message.id)).size).toBe(25);
    });

    it('delivers messages sent with a fairness group, delayed or not, like any other', async () => {
      // Prepare
      const { queue } = await makeQueue();
      const bodies = Array.from({ length: 12 }, (_, i) => `g-${i}`);

      // Act
      await queue.send(bodies.map((body, i) => ({ body, group: `tenant-${i % 3}` })));
      await queue.send([{ body: 'no-group' }]);
      const received = await drain(queue);

      // Assess
      expect(received.map((message) => message.body).sort()).toEqual([...bodies, 'no-group'].sort());
    });

    it('hides a delayed message until its delay passes', async () => {
      // Prepare
      const { queue, advance } = await makeQueue();
      await queue.send([{ body: 'later', delaySeconds: 1 }]);

      // Act
      const early = await queue.receive();
      await advance(1.2);
      const late = await queue.receive();

      // Assess
      expect(early).toEqual([]);
      expect(late).toMatchObject([{ body: 'later', receiveCount: 1 }]);
    });

    it('redelivers a message whose visibility timeout expired', async () => {
      // Prepare
      const { queue, advance } = await makeQueue();
      await queue.send([{ body: 'work' }]);
      const [first] = await queue.receive({ visibilitySeconds: 1 });

      // Act
      const hidden = await queue.receive();
      await advance(1.2);
      const [second] = await queue.receive({ visibilitySeconds: 1 });

      // Assess
      expect(hidden).toEqual([]);
      expect(second).toMatchObject({ id: first?.id, body: 'work', receiveCount: 2 });
      expect(second?.receipt).not.toBe(first?.receipt);
    });

    it('makes a message visible again at once with changeVisibility(0)', async () => {
      // Prepare
      const { queue } = await makeQueue();
      await queue.send([{ body: 'retry me' }]);
      const [first] = await queue.receive({ visibilitySeconds: 30 });

      // Act
      await queue.changeVisibility(first?.receipt ?? '', 0);
      const again = await queue.receive();

      // Assess
      expect(again).toMatchObject([{ id: first?.id, body: 'retry me', receiveCount: 2 }]);
    });

    it('ignores a delete with the receipt of an earlier delivery', async () => {
      // Prepare
      const { queue, advance } = await makeQueue();
      await queue.send([{ body: 'redelivered' }]);
      const [first] = await queue.receive({ visibilitySeconds: 1 });
      await advance(1.2);
      const [second] = await queue.receive({ visibilitySeconds: 1 });

      // Act
      await queue.delete(first?.receipt ?? '');
      await queue.changeVisibility(second?.receipt ?? '', 0);
      const third = await queue.receive();

      // Assess
      expect(third).toMatchObject([{ id: first?.id, receiveCount: 3 }]);
    });

    it('rejects a delay over 900 seconds and sends none of the batch', async () => {
      // Prepare
      const { queue } = await makeQueue();

      // Act
      const sending = queue.send([{ body: 'ok' }, { body: 'too late', delaySeconds: 901 }]);

      // Assess
      await expect(sending).rejects.toThrow(/messages\[1\]\.delaySeconds .* 0 to 900, got 901.*timer/);
      expect(await queue.receive()).toEqual([]);
    });
  });
}

/** Receives until a receive comes back empty (messages stay hidden for 30 s meanwhile). */
async function drain(queue: Queue): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (let round = 0; round < 20; round++) {
    const batch = await queue.receive({ max: 10, visibilitySeconds: 30 });
    if (batch.length === 0) break;
    all.push(...batch);
  }
  return all;
}
