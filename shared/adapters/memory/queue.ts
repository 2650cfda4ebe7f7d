/**
 * In-process queue with the SQS semantics the engine relies on, driven by a `Clock`:
 * - `delaySeconds` hides a new message until it passes.
 * - A received message is hidden for its visibility timeout (default 30 s), then delivered again
 *   with `receiveCount + 1` and a new receipt.
 * - Receipts: only the latest delivery's receipt counts. SQS documents that deleting with an older
 *   receipt "succeeds, but the message might not be deleted"; here it is always a no-op, the
 *   stricter reading, so tests catch a worker that deletes after its lease was lost. The same goes
 *   for `changeVisibility` with a stale receipt. The latest receipt still works after its timeout
 *   expired, until the message is delivered again (as in SQS).
 * - Dead letters: with `maxReceiveCount` and `deadLetter`, a message already received
 *   `maxReceiveCount` times moves to `deadLetter` when it would be delivered again (as SQS does).
 * - `waitSeconds` is ignored: `receive` returns at once, so tests never sleep. Advance the clock
 *   and receive again instead.
 * - Fair, like an SQS fair queue: messages sent with a `group` (the engine uses the tenant) are
 *   received round-robin across groups, so one group's backlog does not delay another's messages.
 *   Within a group, and without groups, delivery follows the order of sending.
 */
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

export interface MemoryQueueOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Seconds a received message stays hidden unless `receive` says otherwise. @default 30 */
  readonly visibilitySeconds?: number;
  /** Where messages go once received this many times without being deleted. */
  readonly deadLetter?: MemoryQueue;
  /** Deliveries before a message moves to `deadLetter`. Needs `deadLetter`. */
  readonly maxReceiveCount?: number;
}

/** Counts like SQS's ApproximateNumberOfMessages{,NotVisible,Delayed} attributes, but exact. */
export interface QueueDepth {
  /** Can be received now. */
  readonly visible: number;
  /** Received and not yet deleted or visible again. */
  readonly inFlight: number;
  /** Never received and still delayed. */
  readonly delayed: number;
}

interface Stored {
  readonly id: string;
  readonly body: string;
  readonly group: string;
  visibleAt: number;
  receiveCount: number;
  receipt?: string;
}

export class MemoryQueue implements Queue {
  private readonly clock: Clock;
  private readonly visibilitySeconds: number;
  /** Every message by id. */
  private readonly messages = new Map<string, Stored>();
  /** Messages by group, each in insertion order (delivery order within the group). */
  private readonly groups = new Map<string, Map<string, Stored>>();
  /** The group to serve first on the next receive (round-robin). */
  private turn = 0;
  private nextId = 1;

  constructor(private readonly options: MemoryQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.visibilitySeconds = options.visibilitySeconds ?? 30;
    assertVisibility(this.visibilitySeconds);
    const { maxReceiveCount, deadLetter } = options;
    if ((maxReceiveCount === undefined) !== (deadLetter === undefined)) {
      throw new RangeError('MemoryQueue needs both deadLetter and maxReceiveCount, or neither');
    }
    if (maxReceiveCount !== undefined && (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)) {
      throw new RangeError(`maxReceiveCount must be a whole number of at least 1, got ${maxReceiveCount}`);
    }
  }

  async send(messages: readonly QueueMessage[]): Promise<void> {
    assertSendable(messages);
    const now = this.clock.now();
    for (const message of messages) {
      const id = `m-${this.nextId++}`;
      const visibleAt = now + (message.delaySeconds ?? 0) * 1000;
      const group = message.group ?? '';
      const stored: Stored = { id, body: message.body, group, visibleAt, receiveCount: 0 };
      this.messages.set(id, stored);
      let line = this.groups.get(group);
      if (!line) {
        line = new Map();
        this.groups.set(group, line);
      }
      line.set(id, stored);
    }
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    assertReceiveOptions(options);
    const max = options.max ?? 10;
    const hideMs = (options.visibilitySeconds ?? this.visibilitySeconds) * 1000;
    const now = this.clock.now();
    const received: ReceivedMessage[] = [];
    // Round-robin over the groups that have a visible message, one message per group per round.
    const lines = [...this.groups.values()];
    const start = lines.length === 0 ? 0 : this.turn % lines.length;
    const order = [...lines.slice(start), ...lines.slice(0, start)];
    const cursors = order.map((line) => line.values());
    let served = false;
    const dead: Stored[] = [];
    for (let active = true; active && received.length < max; ) {
      active = false;
      for (const [index, cursor] of cursors.entries()) {
        if (received.length === max) break;
        const message = this.nextVisible(cursor, now, dead);
        if (!message) continue;
        active = true;
        if (!served) {
          // The next receive starts with the group after the first one served now.
          this.turn = (start + index + 1) % Math.max(1, lines.length);
          served = true;
        }
        message.receiveCount += 1;
        message.receipt = `${message.id}#${message.receiveCount}`;
        message.visibleAt = now + hideMs;
        received.push({
          id: message.id,
          body: message.body,
          receipt: message.receipt,
          receiveCount: message.receiveCount,
          ...(message.group ? { group: message.group } : {}),
        });
      }
    }
    // Marked received above without awaiting anything, so concurrent receives never share one.
    if (dead.length > 0) await this.options.deadLetter?.send(dead.map((message) => ({ body: message.body })));
    return received;
  }

  /**
   * The next visible message of a group's line, taking messages received `maxReceiveCount` times
   * out on the way (into `dead`, for the dead-letter queue). Deleting entries while iterating a Map
   * is safe.
   */
  private nextVisible(cursor: Iterator<Stored>, now: number, dead: Stored[]): Stored | undefined {
    for (let step = cursor.next(); !step.done; step = cursor.next()) {
      const message = step.value;
      if (message.visibleAt > now) continue;
      if (
        this.options.maxReceiveCount !== undefined &&
        message.receiveCount >= this.options.maxReceiveCount
      ) {
        this.remove(message);
        dead.push(message);
        continue;
      }
      return message;
    }
    return undefined;
  }

  private remove(message: Stored): void {
    this.messages.delete(message.id);
    const line = this.groups.get(message.group);
    line?.delete(message.id);
    if (line?.size === 0) this.groups.delete(message.group);
  }

  async delete(receipt: string): Promise<void> {
    const message = this.inFlight(receipt);
    if (message) this.remove(message);
  }

  async changeVisibility(receipt: string, seconds: number): Promise<void> {
    assertVisibility(seconds);
    const message = this.inFlight(receipt);
    if (message) message.visibleAt = this.clock.now() + seconds * 1000;
  }

  /** When the next hidden message becomes visible (epoch ms), if any: tests advance the clock to it. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (next === undefined || message.visibleAt < next) next = message.visibleAt;
    }
    return next;
  }

  /** Message counts right now, for tests and health checks. */
  depth(): QueueDepth {
    const now = this.clock.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** The message this receipt was issued for, if that delivery is still its latest one. */
  private inFlight(receipt: string): Stored | undefined {
    const message = this.messages.get(receipt.slice(0, receipt.lastIndexOf('#')));
    return message?.receipt === receipt ? message : undefined;
  }
}
