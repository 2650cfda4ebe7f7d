import { randomUUID } from 'node:crypto';
import type { BusEnvelope } from '../engine/triggers/events.ts';
import type { Clock } from '../ports/clock.ts';
import type { BusEvent, EventPublisher } from '../ports/event-publisher.ts';

export interface LocalEventBusOptions {
  readonly clock: Clock;
  /** Told of each event put, in EventBridge's shape (set later with `listen`). */
  readonly onEvent?: (event: BusEnvelope) => Promise<unknown>;
  /** A listener's failure: logged, never the putting node's failure. @default console.error */
  readonly onError?: (error: unknown, event: BusEnvelope) => void;
}

/**
 * Skein's event bus on one machine: `event` nodes put events here, and each is handed, in
 * EventBridge's shape, to the listener (the event triggers' matcher) before `publish` returns. So
 * an event is matched at least once: a crash before the node's end reruns the node, which puts
 * the event again with a new id (on AWS, EventBridge and the trigger queue keep it instead).
 * @example const bus = new LocalEventBus({ clock }); bus.listen((event) => matchEvent(deps, triggers, event));
 */
export class LocalEventBus implements EventPublisher {
  private onEvent: ((event: BusEnvelope) => Promise<unknown>) | undefined;
  private readonly clock: Clock;
  private readonly onError: (error: unknown, event: BusEnvelope) => void;

  constructor(options: LocalEventBusOptions) {
    this.clock = options.clock;
    this.onEvent = options.onEvent;
    this.onError =
      options.onError ??
      ((error, event) => console.error(`skein bus: event ${event.id} not matched:`, error));
  }

  /** Sets the listener (the triggers start after the engine whose `event` nodes put events). */
  listen(onEvent: (event: BusEnvelope) => Promise<unknown>): void {
    this.onEvent = onEvent;
  }

  async publish(events: readonly BusEvent[]): Promise<string[]> {
    const ids: string[] = [];
    for (const event of events) {
      const envelope: BusEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': event.detailType,
        source: event.source,
        account: '000000000000',
        time: new Date(this.clock.now()).toISOString(),
        region: 'local',
        resources: [],
        detail: event.detail,
      };
      try {
        await this.onEvent?.(envelope);
      } catch (error) {
        this.onError(error, envelope);
      }
      ids.push(envelope.id);
    }
    return ids;
  }
}
