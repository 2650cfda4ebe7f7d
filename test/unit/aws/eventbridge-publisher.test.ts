import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../shared/adapters/aws/eventbridge-publisher.ts';
import { EventPublishError } from '../../../shared/ports/event-publisher.ts';

const events = mockClient(EventBridgeClient);
const publisher = new EventBridgePublisher({
  client: new EventBridgeClient({ region: 'eu-west-1' }),
  eventBusName: 'skein-bus',
});
const busEvent = (i: number) => ({ source: 'shop', detailType: 'order.shipped', detail: { id: i } });

beforeEach(() => {
  events.reset();
});

describe('EventBridgePublisher', () => {
  it('puts 25 events as PutEvents requests of 10, 10 and 5 and returns their ids in order', async () => {
    // Prepare
    events.on(PutEventsCommand).callsFake((input: { Entries: { Detail: string }[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((entry) => ({ EventId: `id-${JSON.parse(entry.Detail).id}` })),
    }));

    // Act
    const ids = await publisher.publish(Array.from({ length: 25 }, (_, i) => busEvent(i)));

    // Assess
    const inputs = events.commandCalls(PutEventsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.Entries?.length)).toEqual([10, 10, 5]);
    expect(inputs[0]?.Entries?.[3]).toEqual({
      EventBusName: 'skein-bus',
      Source: 'shop',
      DetailType: 'order.shipped',
      Detail: '{"id":3}',
    });
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `id-${i}`));
  });

  it('throws an EventPublishError naming the rejected entries when FailedEntryCount is set', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });

    // Act
    const publishing = publisher.publish([busEvent(0), busEvent(1)]);

    // Assess
    await expect(publishing).rejects.toThrow(EventPublishError);
    await expect(publishing).rejects.toThrow(
      '1 of 2 events were not put on the bus: #1 ThrottlingException: slow down',
    );
  });

  it('uses the default bus when none is given', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });
    const onDefault = new EventBridgePublisher({ client: new EventBridgeClient({ region: 'eu-west-1' }) });

    // Act
    await onDefault.publish([busEvent(0)]);

    // Assess
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe(
      'default',
    );
  });
});
