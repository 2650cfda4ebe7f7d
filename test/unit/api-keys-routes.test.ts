import { describe, expect, it, vi } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { createApp } from '../../shared/api/app.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { Json } from './api-on-harness.ts';

const BURST = 5;

/** What `@hono/node-server` hands the app: the socket the request came in on. */
const fromSocket = (remoteAddress: string) => ({
  incoming: { socket: { remoteAddress, remotePort: 50_000, remoteFamily: 'IPv4' } },
});
/** What `hono/aws-lambda` hands the app: the HTTP API event's request context. */
const fromApiGateway = (sourceIp: string) => ({ requestContext: { http: { sourceIp } } });

async function setup() {
  const clock = new FakeClock();
  const apiKeys = new MemoryApiKeyStore();
  const ids = sequentialIds('k');
  const keyDeps = { apiKeys, clock, ids };
  const [own, second, other] = [
    await createApiKey(keyDeps, 'acme', 'deploy'),
    await createApiKey(keyDeps, 'acme'),
    await createApiKey(keyDeps, 'globex'),
  ];
  const logged: unknown[] = [];
  const app = createApp({
    definitions: new MemoryDefinitionStore(),
    clock,
    apiKeys,
    ids,
    storeName: 'memory',
    authFailures: { burst: BURST, perMinute: BURST },
    log: (_message, error) => logged.push(error),
  });
  const call = async (
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: unknown; env?: unknown; key?: string } = {},
  ) => {
    const headers = {
      ...(options.key !== undefined && { authorization: `Bearer ${options.key}` }),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    };
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const response = await app.request(
      path,
      { method, headers, ...(body !== undefined && { body }) },
      options.env ?? fromSocket('203.0.113.7'),
    );
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: (text ? JSON.parse(text) : undefined) as Json,
    };
  };
  const reads = vi.spyOn(apiKeys, 'getByHash');
  return { app, call, clock, apiKeys, own, second, other, logged, reads };
}

const KEYS = '/v1/tenants/acme/keys';

describe('the key routes', () => {
  it("lists the tenant's keys oldest first, marking the caller's, without keys or hashes", async () => {
    // Prepare
    const { call, own, second } = await setup();

    // Act
    const { status, json } = await call('GET', KEYS, { key: own.key });

    // Assess
    expect(status).toBe(200);
    expect(json).toEqual({
      items: [
        {
          keyId: own.record.keyId,
          label: 'deploy',
          createdAt: '2026-01-01T00:00:00.000Z',
          lastUsedAt: '2026-01-01T00:00:00.000Z',
          current: true,
        },
        { keyId: second.record.keyId, createdAt: '2026-01-01T00:00:00.000Z', current: false },
      ],
    });
    expect(JSON.stringify(json)).not.toContain(own.record.keyHash);
    expect(JSON.stringify(json)).not.toContain(own.key);
  });

  it('creates a key with a label, shows it once, and the key works for the tenant only', async () => {
    // Prepare
    const { call, own } = await setup();

    // Act
    const created = await call('POST', KEYS, { key: own.key, body: { label: 'ci' } });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      keyId: expect.any(String),
      key: expect.stringMatching(/^skein_/),
      label: 'ci',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(created.headers.get('location')).toBe(`${KEYS}/${created.json.keyId}`);
    expect((await call('GET', '/v1/tenants/acme/workflows', { key: created.json.key })).status).toBe(200);
    expect((await call('GET', '/v1/tenants/globex/workflows', { key: created.json.key })).status).toBe(404);
    const listed = await call('GET', KEYS, { key: own.key });
    expect(listed.json.items.map((key: Json) => key.label)).toEqual(['deploy', undefined, 'ci']);
  });

  it('creates a key without a body, and refuses a bad label or an unknown field with its path', async () => {
    // Prepare
    const { call, own } = await setup();

    // Act
    const bare = await call('POST', KEYS, { key: own.key });
    const long = await call('POST', KEYS, { key: own.key, body: { label: 'x'.repeat(101) } });
    const control = await call('POST', KEYS, { key: own.key, body: { label: 'a\u0007b' } });
    const unknown = await call('POST', KEYS, { key: own.key, body: { lable: 'ci' } });

    // Assess
    expect(bare.status).toBe(201);
    expect(bare.json.label).toBeUndefined();
    expect([long.status, long.json.error.path]).toEqual([400, '$.label']);
    expect([control.status, control.json.error]).toEqual([
      400,
      expect.objectContaining({ code: 'INVALID_LABEL', path: '$.label' }),
    ]);
    expect(unknown.json.error).toMatchObject({
      code: 'SCHEMA',
      path: '$.lable',
      message: expect.stringContaining('label'),
    });
  });

  it('revokes a key: it gets 401 at once and leaves the listing', async () => {
    // Prepare
    const { call, own, second } = await setup();

    // Act
    const revoked = await call('DELETE', `${KEYS}/${second.record.keyId}`, { key: own.key });
    const after = await call('GET', '/v1/tenants/acme/workflows', { key: second.key });

    // Assess
    expect(revoked.status).toBe(204);
    expect(after.status).toBe(401);
    expect(after.json.error).toEqual({
      code: 'UNAUTHORIZED',
      message: 'the API key is not valid (unknown or revoked); create one with `skein keys create`',
    });
    const listed = await call('GET', KEYS, { key: own.key });
    expect(listed.json.items.map((key: Json) => key.keyId)).toEqual([own.record.keyId]);
  });

  it("answers 404, never 403, for another tenant's key and for an unknown id, and revokes nothing", async () => {
    // Prepare
    const { call, own, other } = await setup();

    // Act
    const foreign = await call('DELETE', `${KEYS}/${other.record.keyId}`, { key: own.key });
    const unknown = await call('DELETE', `${KEYS}/01J00000000000000000000000`, { key: own.key });
    const elsewhere = await call('DELETE', `/v1/tenants/globex/keys/${other.record.keyId}`, { key: own.key });

    // Assess
    expect([foreign.status, unknown.status, elsewhere.status]).toEqual([404, 404, 404]);
    expect(foreign.json.error.code).toBe('NOT_FOUND');
    expect((await call('GET', '/v1/tenants/globex/workflows', { key: other.key })).status).toBe(200);
  });

  it('lets a key revoke itself; its next request gets 401', async () => {
    // Prepare
    const { call, own } = await setup();

    // Act
    const revoked = await call('DELETE', `${KEYS}/${own.record.keyId}`, { key: own.key });
    const after = await call('GET', KEYS, { key: own.key });

    // Assess
    expect(revoked.status).toBe(204);
    expect(after.status).toBe(401);
  });
});

describe('which header carries the key', () => {
  it('reads X-Api-Key when there is no Authorization header', async () => {
    // Prepare
    const { call, own } = await setup();

    // Act
    const { status } = await call('GET', KEYS, { headers: { 'X-Api-Key': own.key } });

    // Assess
    expect(status).toBe(200);
  });

  it('lets Authorization decide when both are sent, as the authorizer does', async () => {
    // Prepare
    const { call, own, other } = await setup();

    // Act
    const bothValid = await call('GET', KEYS, { key: own.key, headers: { 'x-api-key': other.key } });
    const badBearer = await call('GET', KEYS, { key: 'skein_unknown', headers: { 'x-api-key': own.key } });
    const notBearer = await call('GET', KEYS, {
      headers: { authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': own.key },
    });

    // Assess
    expect(bothValid.status).toBe(200);
    expect(badBearer.status).toBe(401);
    expect(notBearer.status).toBe(401);
    expect(notBearer.json.error.message).toContain('must be "Bearer <key>"');
  });
});

describe('failed authentications per client address', () => {
  const flood = async (call: Awaited<ReturnType<typeof setup>>['call'], env: unknown) => {
    for (let i = 0; i < BURST; i++) {
      const { status } = await call('GET', KEYS, { key: `skein_guess-${i}`, env });
      expect(status).toBe(401);
    }
  };

  it(`answers 429 with Retry-After after ${BURST} unknown keys, without reading the store`, async () => {
    // Prepare
    const { call, reads } = await setup();
    await flood(call, fromSocket('203.0.113.7'));
    reads.mockClear();

    // Act
    const limited = await call('GET', KEYS, { key: 'skein_guess-again', env: fromSocket('203.0.113.7') });

    // Assess
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('12');
    expect(limited.json.error).toEqual({
      code: 'RATE_LIMITED',
      message: 'too many requests with unknown API keys from this address; retry in 12 s',
    });
    expect(reads).not.toHaveBeenCalled();
  });

  it('refuses a good key from the limited address too, and serves it again once the address has waited', async () => {
    // Prepare
    const { call, clock, own } = await setup();
    await flood(call, fromSocket('::ffff:203.0.113.7'));

    // Act
    const limited = await call('GET', KEYS, { key: own.key, env: fromSocket('203.0.113.7') });
    clock.advance(12_000);
    const later = await call('GET', KEYS, { key: own.key, env: fromSocket('203.0.113.7') });

    // Assess
    expect(limited.status).toBe(429);
    expect(later.status).toBe(200);
  });

  it('leaves other addresses alone, and does not count requests without a key or for another tenant', async () => {
    // Prepare
    const { call, own } = await setup();
    await flood(call, fromSocket('203.0.113.7'));

    // Act
    const other = await call('GET', KEYS, { key: 'skein_guess', env: fromSocket('198.51.100.7') });
    for (let i = 0; i < BURST * 2; i++) {
      await call('GET', KEYS, { env: fromSocket('198.51.100.8') });
      await call('GET', '/v1/tenants/globex/keys', { key: own.key, env: fromSocket('198.51.100.8') });
    }
    const uncounted = await call('GET', KEYS, { key: own.key, env: fromSocket('198.51.100.8') });

    // Assess
    expect(other.status).toBe(401);
    expect(uncounted.status).toBe(200);
  });

  it("counts API Gateway's source address on Lambda", async () => {
    // Prepare
    const { call, own } = await setup();
    await flood(call, fromApiGateway('192.0.2.10'));

    // Act
    const limited = await call('GET', KEYS, { key: own.key, env: fromApiGateway('192.0.2.10') });
    const other = await call('GET', KEYS, { key: own.key, env: fromApiGateway('192.0.2.11') });

    // Assess
    expect([limited.status, other.status]).toEqual([429, 200]);
  });
});

describe('the OpenAPI document', () => {
  it('documents the key routes and the 429 of every authenticated route', async () => {
    // Prepare
    const { app } = await setup();

    // Act
    const doc = (await (await app.request('/openapi.json')).json()) as Json;

    // Assess
    expect(Object.keys(doc.paths[KEYS.replace('acme', '{tenant}')])).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/tenants/{tenant}/keys/{keyId}'])).toEqual(['delete']);
    expect(doc.paths['/v1/tenants/{tenant}/keys/{keyId}'].delete.responses['204']).toBeDefined();
    expect(
      doc.paths['/v1/tenants/{tenant}/workflows'].get.responses['429'].headers['Retry-After'],
    ).toBeDefined();
    expect(doc.components.schemas.ApiKeySummary.properties).not.toHaveProperty('keyHash');
  });
});
