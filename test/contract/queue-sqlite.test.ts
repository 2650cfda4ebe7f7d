import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteQueue } from '../../shared/adapters/sqlite/sqlite-queue.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { describeQueueContract } from './queue.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-queue-'));
const opened: SqliteDatabase[] = [];
let count = 0;
afterAll(() => {
  for (const db of opened) db.close();
  rmSync(dir, { recursive: true, force: true });
});
const database = (name = `${++count}.db`) => {
  const db = openSqlite(join(dir, name));
  opened.push(db);
  return db;
};

describeQueueContract('SQLite', async () => {
  const clock = new FakeClock();
  return {
    queue: new SqliteQueue(database(), { name: 'work', clock }),
    advance: async (seconds) => clock.advance(seconds * 1000),
  };
});

describe('SqliteQueue', () => {
  it('moves a message to the dead-letter queue once received maxReceiveCount times', async () => {
    // Prepare
    const clock = new FakeClock();
    const db = database();
    const deadLetter = new SqliteQueue(db, { name: 'work-dlq', clock });
    const queue = new SqliteQueue(db, {
      name: 'work',
      clock,
      deadLetter: 'work-dlq',
      maxReceiveCount: 2,
      visibilitySeconds: 1,
    });
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

  it('serves fairness groups in turn', async () => {
    // Prepare
    const queue = new SqliteQueue(database(), { name: 'work', clock: new FakeClock() });
    await queue.send(Array.from({ length: 6 }, (_, i) => ({ body: `a${i}`, group: 'a' })));
    await queue.send([
      { body: 'b0', group: 'b' },
      { body: 'c0', group: 'c' },
    ]);

    // Act
    const batch = await queue.receive({ max: 4 });

    // Assess
    expect(batch.map((m) => m.body).sort()).toEqual(['a0', 'a1', 'b0', 'c0']);
  });

  it('loses no message across a reopen: undeleted deliveries stay hidden until their timeout, then come again', async () => {
    // Prepare
    const clock = new FakeClock();
    const path = 'reopen.db';
    const first = openSqlite(join(dir, path));
    const before = new SqliteQueue(first, { name: 'work', clock, visibilitySeconds: 10 });
    await before.send([{ body: 'taken' }, { body: 'waiting' }, { body: 'later', delaySeconds: 60 }]);
    const [taken] = await before.receive({ max: 1 });
    first.close();

    // Act
    const after = new SqliteQueue(database(path), { name: 'work', clock, visibilitySeconds: 10 });
    const now = await after.receive();
    for (const message of now) await after.delete(message.receipt);
    clock.advance(60_000);
    const later = await after.receive();

    // Assess
    expect(taken).toMatchObject({ body: 'taken', receiveCount: 1 });
    expect(now.map((m) => m.body)).toEqual(['waiting']);
    expect(later.map((m) => [m.body, m.receiveCount]).sort()).toEqual([
      ['later', 1],
      ['taken', 2],
    ]);
  });

  it('wakes a long-polling receive when a message is sent', async () => {
    // Prepare
    const queue = new SqliteQueue(database(), { name: 'work' });

    // Act
    const waiting = queue.receive({ waitSeconds: 5 });
    await queue.send([{ body: 'late' }]);
    const received = await waiting;

    // Assess
    expect(received.map((m) => m.body)).toEqual(['late']);
  });
});
