/** An event for an event bus (EventBridge on AWS), put by `event` nodes. */
export interface BusEvent {
  /** e.g. `skein.tenant.acme` (what `event` nodes put) or `com.example.orders`. */
  readonly source: string;
  /** e.g. `order.shipped`. */
  readonly detailType: string;
  /** A JSON value (EventBridge wants an object; other values are wrapped by the executor). */
  readonly detail: unknown;
}

/**
 * Puts events on the deployment's event bus.
 * @example const [id] = await publisher.publish([{ source: 'shop', detailType: 'order.shipped', detail: { id: 7 } }]);
 */
export interface EventPublisher {
  /** Resolves with the events' ids in order; throws `EventPublishError` naming the rejected ones. */
  publish(events: readonly BusEvent[]): Promise<string[]>;
}

/** Some events of a `publish` were rejected (by index in the call); the others were put. */
export class EventPublishError extends Error {
  constructor(
    readonly failed: readonly { readonly index: number; readonly code: string; readonly message: string }[],
    total: number,
  ) {
    const list = failed.map((entry) => `#${entry.index} ${entry.code}: ${entry.message}`).join('; ');
    super(`${failed.length} of ${total} events were not put on the bus: ${list}`);
    this.name = 'EventPublishError';
  }
}
