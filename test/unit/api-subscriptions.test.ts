import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { MemorySubscriptionStore } from '../../shared/adapters/memory/subscription-store.ts';
import { createApp } from '../../shared/api/app.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { SubscriptionBinder } from '../../shared/ports/subscription-binder.ts';
import type { Json } from './api-on-harness.ts';

async function setup() {
  const clock = new FakeClock();
  const apiKeys = new MemoryApiKeyStore();
  const ids = sequentialIds('k');
  const [acme, globex] = [
    await createApiKey({ apiKeys, clock, ids }, 'acme'),
    await createApiKey({ apiKeys, clock, ids }, 'globex'),
  ];
  const subscriptions = new MemorySubscriptionStore();
  const calls: string[] = [];
  let n = 0;
  const binder: SubscriptionBinder = {
    bind: async (s) => {
      calls.push(`bind ${s.tenant}/${s.id} ${s.endpoint.kind}`);
      return `arn:sub:${++n}`;
    },
    refilter: async (arn, s) => void calls.push(`refilter ${arn} ${JSON.stringify(s.filter)}`),
    unbind: async (arn) => void calls.push(`unbind ${arn}`),
  };
  const logged: unknown[] = [];
  const app = createApp({
    definitions: new MemoryDefinitionStore(),
    clock,
    apiKeys,
    ids,
    storeName: 'memory',
    subscriptions: { subscriptions, binder },
    log: (_m, error) => logged.push(error),
  });
  const call = async (method: string, path: string, body?: unknown, key = acme.key) => {
    const init = {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    };
    const response = await app.request(path, init);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: (text ? JSON.parse(text) : undefined) as Json,
    };
  };
  return { app, call, calls, subscriptions, clock, logged, globexKey: globex.key };
}

const PATH = '/v1/tenants/acme/subscriptions';
const hook = {
  endpoint: { kind: 'https', url: 'https://hooks.acme.example/skein' },
  filter: { severities: ['error'] },
};

describe('the subscription routes', () => {
  it('creates an https subscription and shows its secret once', async () => {
    // Prepare
    const { call, calls } = await setup();

    // Act
    const created = await call('PUT', `${PATH}/alerts`, hook);
    const read = await call('GET', `${PATH}/alerts`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${PATH}/alerts`);
    expect(created.json).toMatchObject({ id: 'alerts', ...hook });
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ ...created.json, secret: undefined });
    expect('secret' in read.json).toBe(false);
    expect(calls).toEqual(['bind acme/alerts https']);
  });

  it('replaces the filter in place and keeps the secret', async () => {
    // Prepare
    const { call, calls, subscriptions } = await setup();
    const created = await call('PUT', `${PATH}/alerts`, hook);

    // Act
    const replaced = await call('PUT', `${PATH}/alerts`, { ...hook, filter: { types: ['run.failed'] } });

    // Assess
    expect(replaced.status).toBe(200);
    expect('secret' in replaced.json).toBe(false);
    expect(replaced.json.filter).toEqual({ types: ['run.failed'] });
    expect((await subscriptions.get('acme', 'alerts'))?.secret).toBe(created.json.secret);
    expect(calls).toEqual(['bind acme/alerts https', 'refilter arn:sub:1 {"types":["run.failed"]}']);
  });

  it('binds a new endpoint before unbinding the old one', async () => {
    // Prepare
    const { call, calls, subscriptions } = await setup();
    await call('PUT', `${PATH}/alerts`, hook);

    // Act
    const replaced = await call('PUT', `${PATH}/alerts`, {
      endpoint: { kind: 'email', address: 'ops@acme.example' },
    });

    // Assess
    expect(replaced.status).toBe(200);
    expect(calls).toEqual(['bind acme/alerts https', 'bind acme/alerts email', 'unbind arn:sub:1']);
    const stored = await subscriptions.get('acme', 'alerts');
    expect(stored?.bindingArn).toBe('arn:sub:2');
    expect(stored?.secret).toBeUndefined();
  });

  it('deletes a subscription and its SNS subscription', async () => {
    // Prepare
    const { call, calls } = await setup();
    await call('PUT', `${PATH}/alerts`, hook);

    // Act
    const deleted = await call('DELETE', `${PATH}/alerts`);
    const again = await call('DELETE', `${PATH}/alerts`);

    // Assess
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe('NOT_FOUND');
    expect(calls.at(-1)).toBe('unbind arn:sub:1');
  });

  it('keeps tenants apart', async () => {
    // Prepare
    const { call, globexKey } = await setup();
    await call('PUT', `${PATH}/alerts`, hook);

    // Act
    const theirs = await call('GET', '/v1/tenants/globex/subscriptions/alerts', undefined, globexKey);
    const list = await call('GET', '/v1/tenants/globex/subscriptions', undefined, globexKey);
    const foreign = await call('GET', `${PATH}/alerts`, undefined, globexKey);

    // Assess
    expect(theirs.status).toBe(404);
    expect(list.json).toEqual({ items: [] });
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(foreign.status).toBeLessThan(500);
  });

  it.each([
    ['an unknown kind', { endpoint: { kind: 'sms', number: '1' } }, 'SCHEMA', '$.endpoint.kind'],
    [
      'a plain http URL',
      { endpoint: { kind: 'https', url: 'http://hooks.example.com' } },
      'SCHEMA',
      '$.endpoint.url',
    ],
    ['not an e-mail', { endpoint: { kind: 'email', address: 'nobody' } }, 'SCHEMA', '$.endpoint.address'],
    ['not a queue ARN', { endpoint: { kind: 'sqs', queueArn: 'q' } }, 'SCHEMA', '$.endpoint.queueArn'],
    [
      'an unknown event type',
      { ...hook, filter: { types: ['run.exploded'] } },
      'SCHEMA',
      '$.filter.types[0]',
    ],
    ['an unknown field', { ...hook, extra: 1 }, 'SCHEMA', '$.extra'],
    [
      'too many combinations',
      {
        ...hook,
        filter: {
          workflows: ['a', 'b', 'c', 'd', 'e', 'f'],
          types: ['run.failed', 'run.started', 'run.succeeded', 'node.failed', 'node.started'],
          severities: ['info', 'warning', 'error', 'critical', 'info'].slice(0, 4),
          triggers: ['x', 'y'],
        },
      },
      'FILTER_TOO_BROAD',
      '$.filter',
    ],
  ])('refuses %s with a 400 naming the path', async (_what, body, code, path) => {
    // Prepare
    const { call, calls } = await setup();

    // Act
    const refused = await call('PUT', `${PATH}/alerts`, body);

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code, path });
    expect(calls).toEqual([]);
  });

  it('refuses an id that cannot be one', async () => {
    const { call } = await setup();
    const refused = await call('PUT', `${PATH}/${encodeURIComponent('no spaces')}`, hook);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'INVALID_ID' });
  });

  it('lists the deliverer’s attempts, newest first, and 404s for an unknown subscription', async () => {
    // Prepare
    const { call, subscriptions } = await setup();
    await call('PUT', `${PATH}/alerts`, hook);
    const attempt = {
      tenant: 'acme',
      subscriptionId: 'alerts',
      messageId: 'm',
      eventType: 'run.failed',
    } as const;
    await subscriptions.recordDelivery(
      {
        ...attempt,
        attempt: 1,
        at: '2026-01-01T00:00:00.000Z',
        status: 'failed',
        httpStatus: 503,
        error: 'HTTP 503',
      },
      0,
    );
    await subscriptions.recordDelivery(
      { ...attempt, attempt: 2, at: '2026-01-01T00:00:30.000Z', status: 'delivered', httpStatus: 200 },
      0,
    );

    // Act
    const listed = await call('GET', `${PATH}/alerts/deliveries?limit=1`);
    const unknown = await call('GET', `${PATH}/nope/deliveries`);

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.json.items).toEqual([
      {
        messageId: 'm',
        eventType: 'run.failed',
        attempt: 2,
        at: '2026-01-01T00:00:30.000Z',
        status: 'delivered',
        httpStatus: 200,
      },
    ]);
    expect(listed.json.cursor).toBeDefined();
    expect(unknown.status).toBe(404);
  });

  it('documents every subscription route', async () => {
    const { app } = await setup();
    const doc = (await (await app.request('/openapi.json')).json()) as Json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tenants/{tenant}/subscriptions',
        '/v1/tenants/{tenant}/subscriptions/{id}',
        '/v1/tenants/{tenant}/subscriptions/{id}/deliveries',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/tenants/{tenant}/subscriptions/{id}'])).toEqual(
      expect.arrayContaining(['put', 'get', 'delete']),
    );
  });
});
