import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemorySubscriptionStore } from '../../shared/adapters/memory/subscription-store.ts';
import {
  type WebhookOutcome,
  type WebhookRequest,
  webhookSender,
} from '../../shared/adapters/webhook-sender.ts';
import type { Subscription } from '../../shared/domain/subscriptions.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import { createDelivererHandler } from '../../shared/handlers/deliverer.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:skein-events';
const SECRET = `whsec_${Buffer.from('a test secret of some length').toString('base64')}`;

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}
let server: Server;
let port: number;
let received: Received[] = [];
let answer = 204;
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = answer;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  answer = 204;
});

const event = (tenant: string): SkeinEvent => ({
  type: 'run.failed',
  severity: 'error',
  tenant,
  workflow: 'orders',
  version: '1.0.0',
  runId: 'run-1',
  time: '2026-01-01T00:00:00.000Z',
  error: { code: 'BOOM', message: 'it broke' },
});

function record(
  subscriptionArn: string,
  data: SkeinEvent,
  receiveCount = 1,
  publishedAt = Date.now(),
): SQSRecord {
  const body = JSON.stringify({
    Type: 'Notification',
    MessageId: 'msg-1',
    TopicArn: TOPIC,
    Message: JSON.stringify(data),
    Timestamp: new Date(publishedAt).toISOString(),
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
  });
  return {
    messageId: `sqs-${receiveCount}`,
    receiptHandle: `receipt-${receiveCount}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  } as unknown as SQSRecord;
}
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

async function setup(
  url: string,
  options: { send?: (r: WebhookRequest) => Promise<WebhookOutcome>; allow?: string[] } = {},
) {
  const clock = new FakeClock(Date.now());
  const subscriptions = new MemorySubscriptionStore();
  const subscription: Subscription = {
    tenant: 'acme',
    id: 'hooks',
    endpoint: { kind: 'https', url },
    filter: {},
    secret: SECRET,
    bindingArn: `${TOPIC}:acme-hooks`,
    createdAt: 't',
    updatedAt: 't',
  };
  await subscriptions.put(subscription);
  const visibility: [string, number][] = [];
  const handler = createDelivererHandler({
    subscriptions,
    send: options.send ?? webhookSender({ guard: { allow: parseHttpAllow(options.allow ?? []) } }),
    queue: { changeVisibility: async (receipt, seconds) => void visibility.push([receipt, seconds]) },
    clock,
    log: () => {},
  });
  const deliveries = async () => (await subscriptions.listDeliveries('acme', 'hooks')).items;
  return { clock, handler, subscription, visibility, deliveries, subscriptions };
}

describe('the webhook deliverer', () => {
  it('posts the event signed with the subscription’s secret (Standard Webhooks)', async () => {
    // Prepare
    const { handler, subscription, deliveries } = await setup(`http://127.0.0.1:${port}/hook`, {
      allow: [`127.0.0.1:${port}`],
    });

    // Act
    const result = await handler(batch(record(subscription.bindingArn ?? '', event('acme'))));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [Received];
    const verified = new Webhook(SECRET).verify(body, headers as Record<string, string>) as Record<
      string,
      unknown
    >;
    expect(verified).toMatchObject({ type: 'run.failed', data: { tenant: 'acme', runId: 'run-1' } });
    expect(headers['webhook-id']).toBe('msg-1');
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(
        body,
        headers as Record<string, string>,
      ),
    ).toThrow();
    expect(await deliveries()).toMatchObject([
      { status: 'delivered', attempt: 1, httpStatus: 204, messageId: 'msg-1' },
    ]);
  });

  it('refuses loopback and the metadata service unless allow-listed, and parks at once', async () => {
    for (const url of [`http://127.0.0.1:${port}/hook`, 'http://169.254.169.254/latest/meta-data']) {
      // Prepare
      const { handler, subscription, deliveries, visibility } = await setup(url);

      // Act
      const result = await handler(batch(record(subscription.bindingArn ?? '', event('acme'))));

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(visibility).toEqual([]);
      const [attempt] = await deliveries();
      expect(attempt).toMatchObject({ status: 'parked' });
      expect(attempt?.error).toMatch(/SSRF guard/);
    }
    expect(received).toEqual([]);
  });

  it('retries with exponential backoff and parks what it cannot deliver within 24 hours', async () => {
    // Prepare
    answer = 503;
    const { clock, handler, subscription, visibility, deliveries } = await setup(
      `http://127.0.0.1:${port}/hook`,
      {
        allow: [`127.0.0.1:${port}`],
      },
    );
    const published = clock.now();
    const arn = subscription.bindingArn ?? '';

    // Act: SQS hands the message back after each hidden interval
    const failures: number[] = [];
    for (let attempt = 1; attempt <= 30; attempt++) {
      const result = await handler(batch(record(arn, event('acme'), attempt, published)));
      failures.push(result.batchItemFailures.length);
      if (result.batchItemFailures.length === 0) break;
      clock.advance((visibility.at(-1)?.[1] ?? 0) * 1000);
    }

    // Assess
    const delays = visibility.map(([, seconds]) => seconds);
    expect(delays.slice(0, 5)).toEqual([30, 60, 120, 240, 480]);
    expect(Math.max(...delays)).toBe(4 * 3600);
    expect(failures.at(-1)).toBe(0);
    expect(clock.now() - published).toBeLessThanOrEqual(24 * 3600 * 1000);
    const log = await deliveries();
    expect(log[0]).toMatchObject({ status: 'parked', error: 'HTTP 503', attempt: delays.length + 1 });
    expect(JSON.parse(log[0]?.payload ?? '{}')).toMatchObject({ data: { runId: 'run-1' } });
    expect(log.slice(1).every((entry) => entry.status === 'failed' && entry.nextAttemptAt)).toBe(true);
    expect(received).toHaveLength(delays.length + 1);
  });

  it('delivers on a later attempt once the endpoint recovers', async () => {
    // Prepare
    const outcomes: WebhookOutcome[] = [
      { ok: false, error: 'HTTP 500', status: 500, permanent: false },
      { ok: true, status: 200 },
    ];
    const { handler, subscription, deliveries, visibility } = await setup('https://hooks.example.com', {
      send: async () => outcomes.shift() ?? { ok: true, status: 200 },
    });
    const arn = subscription.bindingArn ?? '';

    // Act
    const first = await handler(batch(record(arn, event('acme'), 1)));
    const second = await handler(batch(record(arn, event('acme'), 2)));

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-1' }]);
    expect(visibility).toEqual([['receipt-1', 30]]);
    expect(second.batchItemFailures).toEqual([]);
    expect((await deliveries()).map((d) => d.status)).toEqual(['delivered', 'failed']);
  });

  it('drops an event of another tenant and messages of a deleted subscription', async () => {
    // Prepare
    const sent: WebhookRequest[] = [];
    const { handler, subscription, subscriptions } = await setup('https://hooks.example.com', {
      send: async (request) => {
        sent.push(request);
        return { ok: true, status: 200 };
      },
    });
    const arn = subscription.bindingArn ?? '';

    // Act
    const foreign = await handler(batch(record(arn, event('globex'))));
    await subscriptions.remove('acme', 'hooks');
    const orphan = await handler(batch(record(arn, event('acme'))));

    // Assess
    expect([foreign.batchItemFailures, orphan.batchItemFailures]).toEqual([[], []]);
    expect(sent).toEqual([]);
  });
});
