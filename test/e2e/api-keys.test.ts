import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from './api-server.ts';

// Each suite has its own server: the limit on failed authentications is per process and per
// address, and every request here comes from 127.0.0.1.
describe('API keys over HTTP on DynamoDB Local', () => {
  let api: Awaited<ReturnType<typeof startApiServer>>;
  beforeAll(async () => {
    api = await startApiServer();
  });
  afterAll(async () => {
    expect(api.errors).toEqual([]);
    await api.close();
  });

  it('creates, lists and revokes a key; the revoked key gets 401 on its very next request', async () => {
    // Prepare
    const created = await api.request('POST', '/v1/tenants/acme/keys', {
      key: api.keys.acme,
      body: JSON.stringify({ label: 'e2e' }),
      type: 'application/json',
    });
    const { key, keyId } = created.json as { key: string; keyId: string };
    const before = await api.request('GET', '/v1/tenants/acme/workflows', { key });

    // Act
    const revoked = await api.request('DELETE', `/v1/tenants/acme/keys/${keyId}`, { key: api.keys.acme });
    const after = await api.request('GET', '/v1/tenants/acme/workflows', { key });

    // Assess
    expect(created.status).toBe(201);
    expect(before.status).toBe(200);
    expect(revoked.status).toBe(204);
    expect(after.status).toBe(401);
    const listed = await api.request('GET', '/v1/tenants/acme/keys', { key: api.keys.acme });
    expect(listed.json.items).toEqual([
      expect.objectContaining({ keyId: api.keyIds.acme, current: true, lastUsedAt: expect.any(String) }),
    ]);
  });

  it("answers 404 to revoking another tenant's key, which keeps working", async () => {
    // Act
    const foreign = await api.request('DELETE', `/v1/tenants/acme/keys/${api.keyIds.globex}`, {
      key: api.keys.acme,
    });

    // Assess
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('NOT_FOUND');
    expect((await api.request('GET', '/v1/tenants/globex/keys', { key: api.keys.globex })).status).toBe(200);
  });

  it('reads X-Api-Key without Authorization, and Authorization first when both are sent', async () => {
    // Act
    const apiKeyOnly = await api.request('GET', '/v1/tenants/acme/keys', {
      headers: { 'x-api-key': api.keys.acme },
    });
    const both = await api.request('GET', '/v1/tenants/acme/keys', {
      key: api.keys.acme,
      headers: { 'x-api-key': api.keys.globex },
    });

    // Assess
    expect(apiKeyOnly.status).toBe(200);
    expect(both.status).toBe(200);
  });
});

describe('failed authentications from one address over HTTP', () => {
  let api: Awaited<ReturnType<typeof startApiServer>>;
  beforeAll(async () => {
    api = await startApiServer({ authFailures: { burst: 3, perMinute: 3 } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 429 with Retry-After once the socket address has sent too many unknown keys', async () => {
    // Prepare
    const guesses = [];
    for (let i = 0; i < 3; i++) {
      guesses.push((await api.request('GET', '/v1/tenants/acme/keys', { key: `skein_guess-${i}` })).status);
    }

    // Act
    const limited = await api.request('GET', '/v1/tenants/acme/keys', { key: api.keys.acme });

    // Assess
    expect(guesses).toEqual([401, 401, 401]);
    expect(limited.status).toBe(429);
    // One failure comes back every 20 s (real clock here: the exact figure is in the unit tests).
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(limited.json.error.code).toBe('RATE_LIMITED');
  });
});
