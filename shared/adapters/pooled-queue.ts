import { DEFAULT_POOL } from '../config.ts';
import type { Queue, QueueMessage, ReceiveOptions } from '../ports/queue.ts';

/**
 * One queue per worker pool behind the `Queue` port: `send` routes each message to its `pool`'s
 * queue (a pool this deployment does not have falls back to the default pool, so a definition
 * naming an unknown pool still runs); receiving and deleting use the default pool's queue, as a
 * worker only ever handles its own pool's messages.
 * @example new PooledQueue({ default: sqsQueue, gpu: gpuQueue }).send([{ body, pool: 'gpu' }])
 */
export class PooledQueue implements Queue {
  private readonly fallback: Queue;

  constructor(private readonly pools: Readonly<Record<string, Queue>>) {
    const fallback = pools[DEFAULT_POOL];
    if (!fallback)
      throw new Error(`PooledQueue needs a "${DEFAULT_POOL}" pool, got ${Object.keys(pools).join(', ')}`);
    this.fallback = fallback;
  }

  async send(messages: readonly QueueMessage[]): Promise<void> {
    const byQueue = new Map<Queue, QueueMessage[]>();
    for (const message of messages) {
      const queue = (message.pool === undefined ? undefined : this.pools[message.pool]) ?? this.fallback;
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), message]);
    }
    await Promise.all([...byQueue].map(([queue, batch]) => queue.send(batch)));
  }

  receive(options?: ReceiveOptions) {
    return this.fallback.receive(options);
  }

  delete(receipt: string) {
    return this.fallback.delete(receipt);
  }

  changeVisibility(receipt: string, seconds: number) {
    return this.fallback.changeVisibility(receipt, seconds);
  }
}
