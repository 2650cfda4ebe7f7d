import type { SkeinEvent } from '../ports/notifier.ts';

export type EventListener = (event: SkeinEvent) => void;

/**
 * In-process fan-out of published events to live listeners (the SSE stream, local mode). A
 * listener that throws harms no other: its error is swallowed.
 * @example const off = hub.subscribe((event) => send(event)); ... off();
 */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  publish(events: readonly SkeinEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure (a closed stream) must not stop the others.
        }
      }
    }
  }

  /** Live listeners (for tests and shutdown). */
  get size(): number {
    return this.listeners.size;
  }
}
