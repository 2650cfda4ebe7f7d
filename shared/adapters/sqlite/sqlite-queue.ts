/**
 * A durable queue in the embedded SQLite database with the SQS semantics of the memory queue
 * (`shared/adapters/memory/queue.ts`), persisted, so a restart loses no message:
 * - `delaySeconds` hides a new message until it passes; a received message is hidden for its
 *   visibility timeout (default 30 s), then delivered again with `receiveCount + 1` and a new
 *   receipt. Only the latest delivery's receipt deletes or changes visibility.
 * - Dead letters: with `maxReceiveCount` and `deadLetter` (another queue name in the same
 *   database), a message received `maxReceiveCount` times moves there when it would be delivered
 *   again, in the receive's transaction.
 * - Fair: groups (the engine sends the tenant) are served round-robin, one message per group per
 *   round; within a group, messages come in the order they became visible.
 * - `waitSeconds`: a receive that finds nothing waits for a send in this process, or the next
 *   message's visibility, up to `waitSeconds` (polled every 50 ms for other processes' sends).
 * Every call is one step of the database's group commit: a received message's new receipt, and a
 * send, are committed before the call resolves. Many queues share one table, by name.
 * @example const queue = new SqliteQueue(openSqlite('.skein/skein.db'), { name: 'work', deadLetter: 'work-dlq', maxReceiveCount: 5 });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Clock, systemClock } from '../../ports/clock.ts';
import {
  assertReceiveOptions,
  assertSendable,
  assertVisibility,
  type Queue,
  type QueueMessage,
  type ReceivedMessage,
  type ReceiveOptions,
} from '../../ports/queue.ts';
import type { SqliteDatabase } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  grp TEXT NOT NULL,
  body TEXT NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, grp, visible_at);
CREATE INDEX IF NOT EXISTS queue_messages_due ON queue_messages (queue, visible_at);
`;

export interface SqliteQueueOptions {
  /** The queue's name in the database. */
  readonly name: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Seconds a received message stays hidden unless `receive` says otherwise. @default 30 */
  readonly visibilitySeconds?: number;
  /** The dead-letter queue's name (in the same database). Needs `maxReceiveCount`. */
  readonly deadLetter?: string;
  /** Deliveries before a message moves to `deadLetter`. */
  readonly maxReceiveCount?: number;
}

interface Row {
  id: number;
  grp: string;
  body: string;
  receive_count: number;
}

export class SqliteQueue implements Queue {
  private readonly clock: Clock;
  private readonly visibilitySeconds: number;
  /** Groups seen (sent here, or found in the table), served round-robin from `turn`. */
  private groups: string[] = [];
  private turn = 0;
  /** Receives waiting for a message (`waitSeconds`): a send here wakes them. */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly options: SqliteQueueOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.visibilitySeconds = options.visibilitySeconds ?? 30;
    assertVisibility(this.visibilitySeconds);
    const { maxReceiveCount, deadLetter } = options;
    if ((maxReceiveCount === undefined) !== (deadLetter === undefined)) {
      throw new RangeError('SqliteQueue needs both deadLetter and maxReceiveCount, or neither');
    }
    if (maxReceiveCount !== undefined && (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)) {
      throw new RangeError(`maxReceiveCount must be a whole number of at least 1, got ${maxReceiveCount}`);
    }
    sqlite.db.exec(SCHEMA);
    this.refreshGroups();
  }

  send(messages: readonly QueueMessage[]): Promise<void> {
    try {
      assertSendable(messages);
    } catch (error) {
      return Promise.reject(error);
    }
    const now = this.clock.now();
    const done = this.sqlite.run(true, () => {
      const insert = this.sqlite.statement(
        'INSERT INTO queue_messages (queue, grp, body, visible_at) VALUES (?, ?, ?, ?)',
      );
      for (const message of messages) {
        const group = message.group ?? '';
        insert.run(this.options.name, group, message.body, now + (message.delaySeconds ?? 0) * 1000);
        if (!this.groups.includes(group)) this.groups.push(group);
      }
    });
    return done.then(() => {
      for (const wake of this.waiting) wake();
    });
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    assertReceiveOptions(options);
    const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      // A receive that finds nothing writes nothing: probe with a read before taking the write lock.
      const any = await this.sqlite.run(false, () => this.anyVisible(), 'now');
      const received = any ? await this.sqlite.run(true, () => this.take(options)) : [];
      const left = deadline - Date.now();
      if (received.length > 0 || left <= 0) return received;
      const next = this.nextVisibleAt();
      const until = next === undefined ? left : Math.min(left, Math.max(1, next - this.clock.now()));
      let wake = () => {};
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.waiting.add(wake);
        void sleep(Math.min(until, 50)).then(() => resolve());
      });
      this.waiting.delete(wake);
    }
  }

  /**
   * Resolves without waiting for the commit: a delete a crash takes back only means the message
   * is delivered again (at least once, as with SQS), and the worker's next receive shares its commit.
   */
  delete(receipt: string): Promise<void> {
    return this.sqlite.run(
      true,
      () => {
        this.sqlite
          .statement('DELETE FROM queue_messages WHERE id = ? AND queue = ? AND receipt = ?')
          .run(idOf(receipt), this.options.name, receipt);
      },
      'now',
    );
  }

  changeVisibility(receipt: string, seconds: number): Promise<void> {
    try {
      assertVisibility(seconds);
    } catch (error) {
      return Promise.reject(error);
    }
    const visibleAt = this.clock.now() + seconds * 1000;
    return this.sqlite.run(true, () => {
      this.sqlite
        .statement('UPDATE queue_messages SET visible_at = ? WHERE id = ? AND queue = ? AND receipt = ?')
        .run(visibleAt, idOf(receipt), this.options.name, receipt);
    });
  }

  /** When the next hidden message becomes visible (epoch ms), if any. */
  nextVisibleAt(): number | undefined {
    const row = this.sqlite
      .statement('SELECT min(visible_at) AS at FROM queue_messages WHERE queue = ?')
      .get(this.options.name) as { at: number | null };
    return row.at ?? undefined;
  }

  /** Message counts right now (visible, received and hidden, never received and delayed). */
  depth(): { visible: number; inFlight: number; delayed: number } {
    const row = this.sqlite
      .statement(
        `SELECT coalesce(sum(visible_at <= @now), 0) AS visible,
         coalesce(sum(visible_at > @now AND receive_count > 0), 0) AS inFlight,
         coalesce(sum(visible_at > @now AND receive_count = 0), 0) AS delayed
         FROM queue_messages WHERE queue = @queue`,
      )
      .get({ now: this.clock.now(), queue: this.options.name }) as {
      visible: number;
      inFlight: number;
      delayed: number;
    };
    return { ...row };
  }

  private anyVisible(): boolean {
    const row = this.sqlite
      .statement('SELECT 1 FROM queue_messages WHERE queue = ? AND visible_at <= ? LIMIT 1')
      .get(this.options.name, this.clock.now());
    return row !== undefined;
  }

  /** One receive, inside the batch's transaction: marks what it takes received, moves dead letters. */
  private take(options: ReceiveOptions): ReceivedMessage[] {
    const max = options.max ?? 10;
    const now = this.clock.now();
    const hiddenUntil = now + (options.visibilitySeconds ?? this.visibilitySeconds) * 1000;
    const heads = (group: string, limit: number) =>
      this.sqlite
        .statement(
          `SELECT id, grp, body, receive_count FROM queue_messages
           WHERE queue = ? AND grp = ? AND visible_at <= ? ORDER BY visible_at, id LIMIT ?`,
        )
        .all(this.options.name, group, now, limit) as Row[];
    let lines = this.lines(heads, max);
    if (lines.length === 0) {
      this.refreshGroups();
      lines = this.lines(heads, max);
    }
    const received: ReceivedMessage[] = [];
    const mark = this.sqlite.statement(
      'UPDATE queue_messages SET receive_count = ?, receipt = ?, visible_at = ? WHERE id = ?',
    );
    for (let round = 0; received.length < max && lines.some((line) => round < line.length); round++) {
      for (const line of lines) {
        const row = line[round];
        if (!row || received.length === max) continue;
        if (this.options.maxReceiveCount !== undefined && row.receive_count >= this.options.maxReceiveCount) {
          this.sqlite
            .statement(
              `UPDATE queue_messages SET queue = ?, grp = '', receive_count = 0, receipt = NULL, visible_at = ? WHERE id = ?`,
            )
            .run(this.options.deadLetter, now, row.id);
          continue;
        }
        const receiveCount = row.receive_count + 1;
        const receipt = `q-${row.id}#${receiveCount}`;
        mark.run(receiveCount, receipt, hiddenUntil, row.id);
        received.push({
          id: `q-${row.id}`,
          body: row.body,
          receipt,
          receiveCount,
          ...(row.grp && { group: row.grp }),
        });
      }
    }
    if (received.length > 0) this.turn += 1;
    return received;
  }

  /** The visible heads of each group, starting with the group whose turn it is. */
  private lines(heads: (group: string, limit: number) => Row[], max: number): Row[][] {
    const count = this.groups.length;
    const order = Array.from({ length: count }, (_, i) => this.groups[(this.turn + i) % count] as string);
    // A group's line may start with dead letters: read past them.
    const limit = max + (this.options.maxReceiveCount === undefined ? 0 : max);
    return order.map((group) => heads(group, limit)).filter((line) => line.length > 0);
  }

  private refreshGroups(): void {
    const rows = this.sqlite
      .statement('SELECT DISTINCT grp FROM queue_messages WHERE queue = ?')
      .all(this.options.name) as { grp: string }[];
    this.groups = rows.map((row) => row.grp);
  }
}

function idOf(receipt: string): number {
  return Number(receipt.slice(2, receipt.lastIndexOf('#')));
}
