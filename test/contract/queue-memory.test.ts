import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { describeQueueContract } from './queue.contract.ts';

describeQueueContract('memory', async () => {
  const clock = new FakeClock();
  return { queue: new MemoryQueue({ clock }), advance: async (seconds) => clock.advance(seconds * 1000) };
});

describe('MemoryQueue', () => {
  it('moves a message to the dead-letter queue once received maxReceiveCount times', async () => {
    // Prepare
    const clock = new FakeClock();
    const deadLetter = new MemoryQueue({ clock });
    const queue = new MemoryQueue({ clock, deadLetter, maxReceiveCount: 2, visibilitySeconds: 1 });
    await queue.send([{ body: 'poison' }]);

    // Act
    const first = await queue.receive();
    clock.advance(1_000);
    const second = await queue.receive();
    clock.advance(1_000);
    const third = await queue.receive();

    // Assess
    expect([first, second].map((batch) => batch.map((m) => m.receiveCount))).toEqual([[1], [2]]);
    expect(third).toEqual([]);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await deadLetter.receive()).toMatchObject([{ body: 'poison', receiveCount: 1 }]);
  });

  it('counts visible, in-flight and delayed messages in depth', async () => {
    // Prepare
    const clock = new FakeClock();
    const queue = new MemoryQueue({ clock });
    await queue.send([{ body: 'a' }, { body: 'b' }, { body: 'c' }, { body: 'd', delaySeconds: 60 }]);

    // Act
    await queue.receive({ max: 1 });
    const now = queue.depth();
    clock.advance(60_000);
    const later = queue.depth();

    // Assess
    expect(now).toEqual({ visible: 2, inFlight: 1, delayed: 1 });
    expect(later).toEqual({ visible: 4, inFlight: 0, delayed: 0 });
  });

  it('uses the queue visibility timeout when receive gives none', async () => {
    // Prepare
    const clock = new FakeClock();
    const queue = new MemoryQueue({ clock });
    await queue.send([{ body: 'a' }]);
    await queue.receive();

    // Act
    clock.advance(29_999);
    const before = await queue.receive();
    clock.advance(1);
    const after = await queue.receive();

    // Assess
    expect(before).toEqual([]);
    expect(after).toMatchObject([{ body: 'a', receiveCount: 2 }]);
  });

  it('rejects receive options outside SQS limits, naming the value', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });

    // Act
    const tooMany = queue.receive({ max: 11 });

    // Assess
    await expect(tooMany).rejects.toThrow('max must be a whole number from 1 to 10, got 11');
    expect(() => new MemoryQueue({ maxReceiveCount: 2 })).toThrow(/deadLetter and maxReceiveCount/);
  });
});
