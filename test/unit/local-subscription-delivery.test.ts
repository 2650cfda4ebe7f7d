import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  LocalSubscriptionNotifier,
  localSubscriptionBinder,
} from '../../shared/adapters/local-subscription-delivery.ts';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { MemorySubscriptionStore } from '../../shared/adapters/memory/subscription-store.ts';
import type { WebhookRequest } from '../../shared/adapters/webhook-sender.ts';
import type { Subscription } from '../../shared/domain/subscriptions.ts';
import { createDelivererHandler } from '../../shared/handlers/deliverer.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';

const clock = new FakeClock();
const SECRET = `whsec_${Buffer.from('a test secret of some length').toString('base64')}`;

function event(tenant: string, type: SkeinEvent['type'], severity: SkeinEvent['severity']): SkeinEvent {
  return {
    type,
    severity,
    tenant,
    workflow: 'orders',
    version: '1.0.0',
    runId: `run-${type}`,
    time: '2026-01-01T00:00:00.000Z',
  } as SkeinEvent;
}

async function setUp() {
  const ids = sequentialIds('b');
  const binder = localSubscriptionBinder(ids);
  const subscriptions = new MemorySubscriptionStore();
  const subscribe = async (tenant: string, id: string, filter: Subscription['filter']) => {
    const subscription: Subscription = {
      tenant,
      id,
      endpoint: { kind: 'https', url: `http://127.0.0.1:9/${id}` },
      filter,
      secret: SECRET,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await subscriptions.put({ ...subscription, bindingArn: await binder.bind(subscription) });
  };
  const queue = new MemoryQueue({ clock });
  const notifier = new LocalSubscriptionNotifier({ subscriptions, queue, clock, ids });
  return { binder, subscriptions, subscribe, queue, notifier };
}

describe('subscriptions delivered in process (the embedded store)', () => {
  it('queues one message per matching https subscription, pinned to the tenant and filtered as SNS would', async () => {
    // Prepare
    const { subscribe, queue, notifier, subscriptions } = await setUp();
    await subscribe('acme', 'errors', { severities: ['error'] });
    await subscribe('acme', 'all', {});
    await subscribe('other', 'all-other', {});
    const sent: WebhookRequest[] = [];
    const deliver = createDelivererHandler({
      subscriptions,
      send: async (request) => {
        sent.push(request);
        return { ok: true, status: 204 };
      },
      queue,
      clock,
    });

    // Act
    await notifier.publish([event('acme', 'run.started', 'info'), event('acme', 'run.failed', 'error')]);
    const received = await queue.receive({ max: 10 });
    const response = await deliver({
      Records: received.map((message) => ({
        messageId: message.id,
        receiptHandle: message.receipt,
        body: message.body,
        attributes: { ApproximateReceiveCount: String(message.receiveCount) },
      })),
    } as unknown as SQSEvent);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const to = sent.map((request) => `${request.url} ${JSON.parse(request.payload).type}`).sort();
    expect(to).toEqual([
      'http://127.0.0.1:9/all run.failed',
      'http://127.0.0.1:9/all run.started',
      'http://127.0.0.1:9/errors run.failed',
    ]);
    const deliveries = await subscriptions.listDeliveries('acme', 'errors');
    expect(deliveries.items.map((attempt) => attempt.status)).toEqual(['delivered']);
  });

  it('queues nothing for a subscription bound elsewhere or an event without a tenant', async () => {
    // Prepare
    const { queue, notifier, subscriptions } = await setUp();
    await subscriptions.put({
      tenant: 'acme',
      id: 'sns',
      endpoint: { kind: 'https', url: 'http://127.0.0.1:9/sns' },
      filter: {},
      secret: SECRET,
      bindingArn: 'arn:aws:sns:us-east-1:000000000000:skein-events:1234',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });

    // Act
    await notifier.publish([
      event('acme', 'run.started', 'info'),
      { ...event('x', 'trigger.failed', 'error'), tenant: undefined } as unknown as SkeinEvent,
    ]);

    // Assess
    expect(await queue.receive({ max: 10 })).toEqual([]);
  });

  it('refuses e-mail and SQS endpoints with a 400 naming the endpoint', async () => {
    // Prepare
    const { binder } = await setUp();
    const base = { tenant: 'acme', id: 'mail', filter: {}, createdAt: '', updatedAt: '' };

    // Act
    const email = binder.bind({ ...base, endpoint: { kind: 'email', address: 'ops@example.com' } });
    const sqs = binder.bind({ ...base, endpoint: { kind: 'sqs', queueArn: 'arn:aws:sqs:us-east-1:1:q' } });

    // Assess
    await expect(email).rejects.toMatchObject({
      code: 'ENDPOINT_REFUSED',
      kind: 'invalid',
      path: '$.endpoint.kind',
    });
    await expect(sqs).rejects.toMatchObject({ code: 'ENDPOINT_REFUSED' });
  });
});
