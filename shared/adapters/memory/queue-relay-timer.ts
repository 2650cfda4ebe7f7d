import { encodeRelayMessage } from '../../engine/messages.ts';
import type { Clock } from '../../ports/clock.ts';
import { MAX_DELAY_SECONDS, type Queue } from '../../ports/queue.ts';
import type { Timer } from '../../ports/timer.ts';

/**
 * A durable timer without extra infrastructure: the message hops through the ready queue in
 * delays of at most 15 minutes, wrapped as a relay message that the engine re-schedules until it
 * is due. Used locally and in tests; on AWS an EventBridge Scheduler one-time schedule backs the timer port.
 * @example await new QueueRelayTimer(queue, systemClock).schedule(body, Date.now() + 3_600_000)
 */
export class QueueRelayTimer implements Timer {
  constructor(
    private readonly queue: Queue,
    private readonly clock: Clock,
  ) {}

  async schedule(body: string, atMs: number, pool?: string): Promise<void> {
    const seconds = Math.ceil((atMs - this.clock.now()) / 1000);
    if (seconds <= MAX_DELAY_SECONDS) {
      await this.queue.send([{ body, delaySeconds: Math.max(0, seconds), ...(pool ? { pool } : {}) }]);
      return;
    }
    await this.queue.send([
      { body: encodeRelayMessage({ at: atMs, body }), delaySeconds: MAX_DELAY_SECONDS },
    ]);
  }
}
