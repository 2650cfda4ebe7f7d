/**
 * A fair queue built from plain queues, for stand-ins that accept an SQS message group id on a
 * standard queue but ignore it (fauxqs): without this, one tenant's 10,000-node fan-out queued
 * first delays another tenant's 3-node run until the whole backlog drains.
 *
 * - Groups are hashed into a fixed number of buckets (`buckets`, 16 by default), one sub-queue
 *   per bucket, made on first use by the injected factory; messages without a group go to the
 *   default sub-queue. Two tenants share a bucket (and a line) only when their hashes collide;
 *   the number of queues stays bounded whatever the number of tenants, and every process maps a
 *   tenant to the same bucket without shared state.
 * - `send` routes each message to its sub-queue, all sub-queues in parallel (each batches by 10).
 *   When some messages fail, a `QueueSendError` lists them by their index in this `send`.
 * - `receive` asks the sub-queues in turn, starting after the one served first by the previous
 *   call, `max` shared between them (`waitSeconds: 0` each); a sub-queue that fills its share is
 *   asked again for what the others left. With `waitSeconds` and nothing found, it waits for a
 *   `send` or `changeVisibility` of this queue (or a delay of one ending) to wake it, asking again
 *   every `pollMs` meanwhile for messages it cannot hear about (visibility timeouts, other senders).
 * - Ids and receipts carry the sub-queue, so `delete` and `changeVisibility` reach the right one;
 *   receipts also carry this queue's tag, and one it did not issue (or a malformed one) is
 *   ignored, like a stale receipt. Receipts are valid only in the FairQueue that issued them.
 * - It receives only from sub-queues it has opened, i.e. sent to: use one FairQueue per process
 *   for both sending and receiving, as local mode does.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  assertReceiveOptions,
  assertSendable,
  assertVisibility,
  type Queue,
  type QueueMessage,
  QueueSendError,
  type ReceivedMessage,
  type ReceiveOptions,
} from '../ports/queue.ts';

/** Makes (or finds) the sub-queue of a bucket; `bucket` is `'00'`..`'15'` with 16 buckets. */
export type SubQueueFactory = (bucket: string) => Promise<Queue>;

export interface FairQueueOptions {
  /** Messages without a group; served in turn like a bucket. */
  readonly defaultQueue: Queue;
  /** Called once per bucket, when a message of that bucket is first sent (again after a failure). */
  readonly subQueue: SubQueueFactory;
  /** Buckets groups are hashed into, 1..100: at most this many sub-queues besides the default. @default 16 */
  readonly buckets?: number;
  /** How often a waiting `receive` asks the sub-queues again when nothing woke it. @default 1000 */
  readonly pollMs?: number;
}

type SendFailure = QueueSendError['failed'][number];

/**
 * The bucket (0..buckets-1) of a group: the first 32 bits of its SHA-256, modulo `buckets`.
 * @example bucketOf('acme', 16) // the same number in every process
 */
export function bucketOf(group: string, buckets: number): number {
  return createHash('sha256').update(group, 'utf8').digest().readUInt32BE(0) % buckets;
}

/**
 * @example
 * const queue = new FairQueue({
 *   defaultQueue: new MemoryQueue(),
 *   subQueue: async () => new MemoryQueue(),
 * });
 * await queue.send([{ body, group: 'acme' }]);
 */
export class FairQueue implements Queue {
  readonly buckets: number;
  private readonly pollMs: number;
  private readonly subQueue: SubQueueFactory;
  /** Prefix of this queue's receipts. */
  private readonly tag = randomBytes(4).toString('hex');
  /** Slot 0 is the default sub-queue, slot 1 + b the sub-queue of bucket b once opened. */
  private readonly slots: (Queue | undefined)[];
  /** Opened slots, ascending. */
  private readonly open: number[] = [0];
  private readonly opening = new Map<number, Promise<Queue>>();
  /** The slot to ask first on the next receive. */
  private turn = 0;
  /** Bumped by every wake-up, so a receive knows whether something happened while it asked. */
  private wakes = 0;
  private readonly sleepers = new Set<() => void>();
  /** An error of a sub-queue met while others delivered: thrown by the next receive. */
  private deferred: { readonly error: unknown } | undefined;

  constructor(options: FairQueueOptions) {
    this.buckets = options.buckets ?? 16;
    this.pollMs = options.pollMs ?? 1000;
    this.subQueue = options.subQueue;
    if (!Number.isInteger(this.buckets) || this.buckets < 1 || this.buckets > 100) {
      throw new RangeError(`buckets must be a whole number from 1 to 100, got ${this.buckets}`);
    }
    if (!(this.pollMs > 0)) throw new RangeError(`pollMs must be above 0, got ${this.pollMs}`);
    this.slots = [options.defaultQueue, ...Array.from({ length: this.buckets }, () => undefined)];
  }

  /** The bucket's name as the factory gets it, e.g. `'07'`. */
  bucketName(bucket: number): string {
    return String(bucket).padStart(String(this.buckets - 1).length, '0');
  }

  async send(messages: readonly QueueMessage[]): Promise<void> {
    assertSendable(messages);
    const bySlot = new Map<number, { index: number; message: QueueMessage }[]>();
    messages.forEach((message, index) => {
      const slot = message.group ? 1 + bucketOf(message.group, this.buckets) : 0;
      const entries = bySlot.get(slot) ?? [];
      entries.push({ index, message });
      bySlot.set(slot, entries);
    });
    const routes = [...bySlot];
    const results = await Promise.allSettled(
      routes.map(async ([slot, entries]) => {
        const queue = await this.openSlot(slot);
        await queue.send(entries.map((entry) => entry.message));
      }),
    );
    this.wakeFor(messages);
    const failed: SendFailure[] = [];
    for (const [at, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      // One sub-queue took everything: its error is already about this send's indexes.
      if (routes.length === 1) throw result.reason;
      const indexes = (routes[at]?.[1] ?? []).map((entry) => entry.index);
      failed.push(...failuresOf(result.reason, indexes));
    }
    if (failed.length > 0) {
      failed.sort((a, b) => a.index - b.index);
      throw new QueueSendError(failed, messages.length);
    }
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    assertReceiveOptions(options);
    const deferred = this.deferred;
    if (deferred) {
      this.deferred = undefined;
      throw deferred.error;
    }
    const deadline = performance.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      const wakes = this.wakes;
      const received = await this.sweep(options);
      const left = deadline - performance.now();
      if (received.length > 0 || left <= 0) return received;
      // Woken while asking: a message may have come after its sub-queue answered, so ask again.
      if (this.wakes === wakes) await this.sleep(Math.min(left, this.pollMs));
    }
  }

  async delete(receipt: string): Promise<void> {
    const route = this.route(receipt);
    if (route) await route.queue.delete(route.receipt);
  }

  async changeVisibility(receipt: string, seconds: number): Promise<void> {
    assertVisibility(seconds);
    const route = this.route(receipt);
    if (!route) return;
    await route.queue.changeVisibility(route.receipt, seconds);
    this.wakeIn(seconds * 1000);
  }

  /** One pass over the opened sub-queues, in turn; never waits. */
  private async sweep(options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const max = options.max ?? 10;
    const first = this.open.findIndex((slot) => slot >= this.turn);
    const start = first < 0 ? 0 : first;
    let candidates = [...this.open.slice(start), ...this.open.slice(0, start)];
    // A receive made meanwhile starts with the next sub-queue.
    this.turn = (candidates[0] ?? 0) + 1;
    const received: ReceivedMessage[] = [];
    let served: number | undefined;
    let failure: { readonly error: unknown } | undefined;
    while (received.length < max && candidates.length > 0) {
      const room = max - received.length;
      const asked = candidates.slice(0, room);
      const shares = asked.map((_, i) => Math.floor(room / asked.length) + (i < room % asked.length ? 1 : 0));
      const results = await Promise.allSettled(
        asked.map(
          (slot, i) => this.slots[slot]?.receive({ ...options, max: shares[i], waitSeconds: 0 }) ?? [],
        ),
      );
      const full: number[] = [];
      for (const [i, result] of results.entries()) {
        const slot = asked[i] ?? 0;
        if (result.status === 'rejected') {
          failure ??= { error: result.reason };
          continue;
        }
        if (result.value.length > 0) served ??= slot;
        received.push(...result.value.map((message) => this.wrap(slot, message)));
        if (result.value.length === shares[i]) full.push(slot);
      }
      // Those not asked yet come first; those that filled their share may have more.
      candidates = [...candidates.slice(asked.length), ...full];
    }
    if (served !== undefined) this.turn = served + 1;
    if (failure) {
      if (received.length === 0) throw failure.error;
      // Throwing now would hide received messages until their visibility timeout.
      this.deferred = failure;
    }
    return received;
  }

  private wrap(slot: number, message: ReceivedMessage): ReceivedMessage {
    return {
      id: `${slot}.${message.id}`,
      body: message.body,
      receipt: `${this.tag}.${slot}.${message.receipt}`,
      receiveCount: message.receiveCount,
    };
  }

  /** The sub-queue and its own receipt, or undefined for a receipt this queue did not issue. */
  private route(receipt: string): { queue: Queue; receipt: string } | undefined {
    const match = /^([0-9a-f]{8})\.(\d{1,3})\./.exec(receipt);
    if (match?.[1] !== this.tag) return undefined;
    const queue = this.slots[Number(match[2])];
    return queue && { queue, receipt: receipt.slice(match[0].length) };
  }

  private openSlot(slot: number): Promise<Queue> {
    const queue = this.slots[slot];
    if (queue) return Promise.resolve(queue);
    let opening = this.opening.get(slot);
    if (!opening) {
      opening = this.subQueue(this.bucketName(slot - 1)).then(
        (made) => {
          this.opening.delete(slot);
          this.slots[slot] = made;
          this.open.push(slot);
          this.open.sort((a, b) => a - b);
          return made;
        },
        (error: unknown) => {
          // Not kept: the next send of this bucket tries again.
          this.opening.delete(slot);
          throw error;
        },
      );
      this.opening.set(slot, opening);
    }
    return opening;
  }

  /** Wakes waiting receives now for messages sent without a delay, and when each delay ends. */
  private wakeFor(messages: readonly QueueMessage[]): void {
    for (const seconds of new Set(messages.map((message) => message.delaySeconds ?? 0))) {
      this.wakeIn(seconds * 1000);
    }
  }

  private wakeIn(ms: number): void {
    if (ms <= 0) {
      this.wake();
      return;
    }
    setTimeout(() => this.wake(), ms).unref();
  }

  private wake(): void {
    this.wakes += 1;
    for (const resolve of this.sleepers) resolve();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** A sub-queue's failure as failures of the messages it was given (`indexes`: their place in the send). */
function failuresOf(error: unknown, indexes: readonly number[]): SendFailure[] {
  if (error instanceof QueueSendError) {
    return error.failed.map((entry) => ({ ...entry, index: indexes[entry.index] ?? entry.index }));
  }
  const code = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return indexes.map((index) => ({ index, code, message }));
}
