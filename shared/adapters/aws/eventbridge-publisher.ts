/**
 * EventPublisher on one EventBridge bus: PutEvents requests of at most 10 entries, sent in
 * parallel; each `detail` is sent as JSON. Entries are matched to results by position (PutEvents
 * answers in request order), so an `EventPublishError` names the rejected events by their index
 * in the `publish` call; the others were put.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type BusEvent, EventPublishError, type EventPublisher } from '../../ports/event-publisher.ts';

export interface EventBridgePublisherProps {
  readonly client: EventBridgeClient;
  /** The bus name or ARN. @default "default" */
  readonly eventBusName?: string;
}

/** EventBridge PutEvents maximum entries. */
export const PUT_EVENTS_MAX = 10;

/**
 * Puts events on an EventBridge bus.
 * @example await new EventBridgePublisher({ client, eventBusName: 'orders' }).publish([{ source: 'shop', detailType: 'order.shipped', detail: { id: 7 } }]);
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  readonly eventBusName: string;

  constructor(props: EventBridgePublisherProps) {
    this.client = props.client;
    this.eventBusName = props.eventBusName ?? 'default';
  }

  async publish(events: readonly BusEvent[]): Promise<string[]> {
    const batches: { index: number; entry: PutEventsRequestEntry }[][] = [];
    events.forEach((event, index) => {
      if (index % PUT_EVENTS_MAX === 0) batches.push([]);
      batches.at(-1)?.push({ index, entry: this.entryOf(event) });
    });
    const ids: string[] = new Array(events.length).fill('');
    const failed: { index: number; code: string; message: string }[] = [];
    await Promise.all(
      batches.map(async (batch) => {
        const result = await this.client.send(
          new PutEventsCommand({ Entries: batch.map(({ entry }) => entry) }),
        );
        batch.forEach(({ index }, position) => {
          const answer = result.Entries?.[position];
          if (answer?.EventId && !answer.ErrorCode) ids[index] = answer.EventId;
          else {
            failed.push({
              index,
              code: answer?.ErrorCode ?? 'Unknown',
              message: answer?.ErrorMessage ?? 'no result for this entry',
            });
          }
        });
      }),
    );
    if (failed.length > 0) {
      throw new EventPublishError(
        failed.sort((a, b) => a.index - b.index),
        events.length,
      );
    }
    return ids;
  }

  private entryOf(event: BusEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.eventBusName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    };
  }
}
