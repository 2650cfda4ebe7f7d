import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { FakeClock } from '../../shared/ports/clock.ts';

describe('MemoryQueue fairness', () => {
  it('serves groups in turn, so a small group is not stuck behind another group’s backlog', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });
    await queue.send(Array.from({ length: 1_000 }, (_, i) => ({ body: `big-${i}`, group: 'big' })));
    await queue.send([1, 2, 3].map((i) => ({ body: `small-${i}`, group: 'small' })));

    // Act
    const first = await queue.receive({ max: 10 });
    const second = await queue.receive({ max: 10 });

    // Assess
    const smallIn = (batch: { body: string }[]) => batch.filter((m) => m.body.startsWith('small')).length;
    expect(smallIn(first)).toBe(3);
    expect(first).toHaveLength(10);
    expect(second.map((m) => m.body)).toEqual(Array.from({ length: 10 }, (_, i) => `big-${i + 7}`));
  });

  it('keeps the order of sending within a group and without groups', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });
    await queue.send(Array.from({ length: 15 }, (_, i) => ({ body: `m-${i}` })));

    // Act
    const received = [...(await queue.receive({ max: 10 })), ...(await queue.receive({ max: 10 }))];

    // Assess
    expect(received.map((m) => m.body)).toEqual(Array.from({ length: 15 }, (_, i) => `m-${i}`));
  });

  it('never hands one message to two receives made at the same time', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });
    await queue.send([{ body: 'only', group: 'a' }]);

    // Act
    const [first, second] = await Promise.all([queue.receive({ max: 1 }), queue.receive({ max: 1 })]);

    // Assess
    expect([...(first ?? []), ...(second ?? [])].map((m) => m.body)).toEqual(['only']);
  });

  it('starts each receive with the next group, so no group is always served first', async () => {
    // Prepare
    const queue = new MemoryQueue({ clock: new FakeClock() });
    for (const group of ['a', 'b', 'c']) {
      await queue.send(Array.from({ length: 5 }, (_, i) => ({ body: `${group}${i}`, group })));
    }

    // Act
    const firsts = [];
    for (let i = 0; i < 3; i += 1) firsts.push((await queue.receive({ max: 1 }))[0]?.body);

    // Assess
    expect(firsts).toEqual(['a0', 'b0', 'c0']);
  });
});
