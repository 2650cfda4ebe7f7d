/** A message to enqueue: one ready node, usually as JSON. */
export interface QueueMessage {
  readonly body: string;
  /** Seconds before the message can be received, 0..900 (SQS DelaySeconds max). @default 0 */
  readonly delaySeconds?: number;
  /** The worker pool whose queue takes it (`PooledQueue`); single queues ignore it. @default "default" */
  readonly pool?: string;
  /**
   * The fairness group (the engine uses the tenant): a fair queue serves groups in turn, so one
   * group's backlog does not delay another's messages (an SQS fair queue's message group id).
   */
  readonly group?: string;
}

/** One delivery of a message. Every delivery of the same message has a new `receipt`. */
export interface ReceivedMessage {
  readonly id: string;
  readonly body: string;
  /** Handle for `delete` and `changeVisibility`; only the latest delivery's receipt counts. */
  readonly receipt: string;
  /** 1 on first delivery. */
  readonly receiveCount: number;
  /** The fairness group it was sent with, when the queue tells (SQS `MessageGroupId`). */
  readonly group?: string;
}

export interface ReceiveOptions {
  /** Most messages to return, 1..10. @default 10 */
  readonly max?: number;
  /** Long polling: how long to wait for a first message, 0..20. @default 0 */
  readonly waitSeconds?: number;
  /** How long received messages stay hidden, 0..43200. @default the queue's (30 s) */
  readonly visibilitySeconds?: number;
}

/**
 * The queue of ready nodes, with SQS semantics: at-least-once delivery, delays, a visibility
 * timeout after which an undeleted message is delivered again, and a dead-letter queue.
 * @example
 * await queue.send([{ body: JSON.stringify({ runId, nodeId }) }]);
 * for (const message of await queue.receive({ waitSeconds: 20 })) {
 *   await handle(message.body);
 *   await queue.delete(message.receipt);
 * }
 */
export interface Queue {
  /** Sends in batches of at most 10 (SQS SendMessageBatch); resolves when all are accepted, else throws listing the failed entries. */
  send(messages: readonly QueueMessage[]): Promise<void>;
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Deletes a delivered message. A receipt from an earlier delivery is ignored (as in SQS). */
  delete(receipt: string): Promise<void>;
  /** Hands a message back for redelivery after `seconds` (ChangeMessageVisibility). */
  changeVisibility(receipt: string, seconds: number): Promise<void>;
}

/** SQS DelaySeconds maximum. Longer waits belong to the timer port. */
export const MAX_DELAY_SECONDS = 900;
/** SQS SendMessageBatch maximum entries. */
export const MAX_BATCH = 10;
export const MAX_WAIT_SECONDS = 20;
export const MAX_VISIBILITY_SECONDS = 43_200;

/** Some messages of a `send` were not accepted; the others were. */
export class QueueSendError extends Error {
  constructor(
    readonly failed: readonly { readonly index: number; readonly code: string; readonly message: string }[],
    total: number,
  ) {
    const list = failed.map((entry) => `#${entry.index} ${entry.code}: ${entry.message}`).join('; ');
    super(`${failed.length} of ${total} messages were not sent: ${list}`);
    this.name = 'QueueSendError';
  }
}

/** The queue does not exist (wrong URL or region, or not deployed yet). */
export class QueueNotFoundError extends Error {
  constructor(
    readonly queueUrl: string,
    options?: ErrorOptions,
  ) {
    super(`queue ${queueUrl} does not exist; check the queue URL and region, or deploy the stack`, options);
    this.name = 'QueueNotFoundError';
  }
}

/** Throws a RangeError naming the bad value unless every message's delay is 0..900 whole seconds. */
export function assertSendable(messages: readonly QueueMessage[]): void {
  messages.forEach((message, index) => {
    const delay = message.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) {
      throw new RangeError(
        `messages[${index}].delaySeconds must be a whole number from 0 to ${MAX_DELAY_SECONDS}, got ${delay}; ` +
          'schedule longer waits with the timer port',
      );
    }
  });
}

/** Throws a RangeError naming the bad value for receive options outside SQS limits. */
export function assertReceiveOptions(options: ReceiveOptions): void {
  check('max', options.max, 1, MAX_BATCH);
  check('waitSeconds', options.waitSeconds, 0, MAX_WAIT_SECONDS);
  check('visibilitySeconds', options.visibilitySeconds, 0, MAX_VISIBILITY_SECONDS);
}

/** Throws a RangeError unless `seconds` is a valid visibility timeout. */
export function assertVisibility(seconds: number): void {
  check('seconds', seconds, 0, MAX_VISIBILITY_SECONDS);
}

function check(name: string, value: number | undefined, min: number, max: number) {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}
