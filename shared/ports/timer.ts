/**
 * The timer port: delivers a queue message body at a time further away than the queue's own
 * delay allows (SQS: 15 minutes). On AWS an EventBridge Scheduler one-time schedule backs it; locally and in
 * tests `QueueRelayTimer` hops through the queue itself in delays of at most 15 minutes.
 */
export interface Timer {
  /** Delivers `body` to the queue of `pool` (default pool when absent) at `atMs` (epoch ms) or shortly after. */
  schedule(body: string, atMs: number, pool?: string): Promise<void>;
}
