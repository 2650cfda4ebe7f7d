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
  visibleAt: number;
  receiveCount: number;
  receipt?: string;
}

export class MemoryQueue implements Queue {
  private readonly clock: Clock;
  private readonly visibilitySeconds: number;
  /** Insertion order, which is also delivery order among visible messages. */
  private readonly messages = new Map<string, Stored>();
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
      this.messages.set(id, { id, body: message.body, visibleAt, receiveCount: 0 });
    }
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    assertReceiveOptions(options);
    const max = options.max ?? 10;
    const hideMs = (options.visibilitySeconds ?? this.visibilitySeconds) * 1000;
    const now = this.clock.now();
    const received: ReceivedMessage[] = [];
    // Deleting the current entry while iterating a Map is safe; no copy, so a receive stops
    // after `max` visible messages instead of walking the whole queue.
    for (const message of this.messages.values()) {
      if (received.length === max) break;
      if (message.visibleAt > now) continue;
      if (
        this.options.maxReceiveCount !== undefined &&
        message.receiveCount >= this.options.maxReceiveCount
      ) {
        this.messages.delete(message.id);
        await this.options.deadLetter?.send([{ body: message.body }]);
        continue;
      }
      message.receiveCount += 1;
      message.receipt = `${message.id}#${message.receiveCount}`;
      message.visibleAt = now + hideMs;
      received.push({
        id: message.id,
        body: message.body,
        receipt: message.receipt,
        receiveCount: message.receiveCount,
      });
    }
    return received;
  }

  async delete(receipt: string): Promise<void> {
    const message = this.inFlight(receipt);
    if (message) this.messages.delete(message.id);
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
