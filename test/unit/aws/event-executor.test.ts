import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../shared/adapters/aws/eventbridge-publisher.ts';
import { EventExecutor, type EventNode } from '../../../shared/executors/event.ts';
import { defaultExecutors } from '../../../shared/executors/registry.ts';
import type { BusEvent } from '../../../shared/ports/event-publisher.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { testContext } from '../executors/test-context.ts';

const bus = mockClient(EventBridgeClient);
const publisher = new EventBridgePublisher({
  client: new EventBridgeClient({ region: 'eu-west-1' }),
  eventBusName: 'skein',
});
const executor = new EventExecutor({ publisher });
const node: EventNode = { type: 'event' };
const run = (inputs: unknown) => executor.execute({ node, inputs, ctx: testContext({ nodeId: 'notify' }) });

beforeEach(() => {
  bus.reset();
});

describe('the event executor', () => {
  it('puts one event and returns its id', async () => {
    // Prepare
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });

    // Act
    const result = await run({ detailType: 'order.shipped', detail: { id: 7 } });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: { eventId: 'ev-1' } });
    expect(bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries).toEqual([
      { EventBusName: 'skein', Source: 'skein.tenant.acme', DetailType: 'order.shipped', Detail: '{"id":7}' },
    ]);
  });

  it('appends a node’s source to the tenant’s, so no node can speak for another tenant', async () => {
    // Prepare
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-2' }] });

    // Act
    await run({ detailType: 'order.shipped', source: 'orders.eu' });

    // Assess
    expect(bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Source).toBe(
      'skein.tenant.acme.orders.eu',
    );
  });

  it.each([
    ['no detail type', { detail: {} }, 'with.detailType'],
    ['a reserved skein detail type', { detailType: 'skein.start-run' }, 'reserved for Skein'],
    ['a source with a space', { detailType: 'x', source: 'my source' }, 'with.source'],
    ['a source too long', { detailType: 'x', source: 'a'.repeat(129) }, 'with.source'],
    ['a detail that is not an object', { detailType: 'x', detail: [1] }, 'with.detail'],
    ['an unknown field', { detailType: 'x', bus: 'other' }, 'with.'],
  ])('refuses %s without calling EventBridge', async (_what, inputs, message) => {
    // Act
    const result = await run(inputs);

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'EVENT_INVALID', retryable: false } });
    expect(result.kind === 'failed' && result.error.message).toContain(message);
    expect(bus.calls()).toHaveLength(0);
  });

  it('reports a throttled entry as a retryable failure', async () => {
    // Prepare
    bus
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });

    // Act
    const result = await run({ detailType: 'order.shipped' });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'EVENT_REJECTED', retryable: true } });
  });

  it('reports an unreachable bus as a retryable failure', async () => {
    // Prepare
    bus.on(PutEventsCommand).rejects(new Error('socket hang up'));

    // Act
    const result = await run({ detailType: 'order.shipped' });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'EVENT_PUBLISH_FAILED', retryable: true },
    });
  });

  it('is registered only when a publisher is given', () => {
    // Act
    const without = defaultExecutors().has('event');
    const withPublisher = defaultExecutors({ event: { publisher } }).has('event');

    // Assess
    expect([without, withPublisher]).toEqual([false, true]);
  });

  it('runs an event node of a workflow with its evaluated with', async () => {
    // Prepare
    const put: BusEvent[] = [];
    const fake = {
      publish: async (events: readonly BusEvent[]) => {
        put.push(...events);
        return events.map(() => 'ev-9');
      },
    };
    const harness = new WorkflowHarness({ executors: defaultExecutors({ event: { publisher: fake } }) });
    await harness.publish({
      id: 'ship',
      inputs: { id: { type: 'integer', required: true } },
      nodes: {
        notify: { type: 'event', with: { detailType: 'order.shipped', detail: { id: '{% $inputs.id %}' } } },
      },
    });

    // Act
    const run = await harness.run('ship', { id: 7 });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(put).toEqual([{ source: 'skein.tenant.test', detailType: 'order.shipped', detail: { id: 7 } }]);
  });
});
