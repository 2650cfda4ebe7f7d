import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../shared/adapters/memory/api-key-store.ts';
import { createApiKey } from '../../../shared/engine/api-keys.ts';
import { createApiHandler } from '../../../shared/handlers/api.ts';
import { sequentialIds } from '../../../shared/ports/ids.ts';
import { TENANT, WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { httpApiEvent, lambdaContext } from './fixtures.ts';

async function setup() {
  const harness = new WorkflowHarness();
  const apiKeys = new MemoryApiKeyStore();
  const { key } = await createApiKey({ apiKeys, clock: harness.clock, ids: sequentialIds('k') }, TENANT);
  await harness.publish({
    id: 'hello',
    inputs: { name: { type: 'string', required: true } },
    nodes: { greet: { type: 'noop', with: { text: '{% "Hello, " & $inputs.name %}' } } },
  });
  const handler = createApiHandler({
    definitions: harness.definitions,
    engine: harness.engine,
    clock: harness.clock,
    apiKeys,
    ids: sequentialIds('api-key'),
    storeName: 'dynamodb',
    ui: { 'index.html': '<!doctype html><title>Skein</title>', 'app.js': 'export {};', 'app.css': 'body{}' },
  });
  return { harness, handler, key };
}

describe('the API handler', () => {
  it('answers GET /health from an HTTP API payload 2.0 event', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const response = await handler(httpApiEvent({ method: 'GET', path: '/health' }), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body ?? '')).toEqual({
      status: 'ok',
      store: 'dynamodb',
      time: '2026-01-01T00:00:00.000Z',
    });
  });

  it('serves the web UI page at GET / as text, without a key (the route has no authorizer)', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const page = await handler(httpApiEvent({ method: 'GET', path: '/' }), lambdaContext());
    const script = await handler(httpApiEvent({ method: 'GET', path: '/ui/app.js' }), lambdaContext());

    // Assess
    expect(page).toMatchObject({
      statusCode: 200,
      isBase64Encoded: false,
      body: '<!doctype html><title>Skein</title>',
    });
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(script).toMatchObject({ statusCode: 200, body: 'export {};' });
  });

  it('starts a run on POST and the run completes on the engine', async () => {
    // Prepare
    const { harness, handler, key } = await setup();
    const event = httpApiEvent({
      method: 'POST',
      path: `/v1/tenants/${TENANT}/workflows/hello/runs`,
      headers: { authorization: `Bearer ${key}` },
      body: { inputs: { name: 'Ada' } },
    });

    // Act
    const response = await handler(event, lambdaContext());
    await harness.drain();

    // Assess
    expect(response.statusCode).toBe(202);
    const started = JSON.parse(response.body ?? '') as { runId: string; created: boolean };
    expect(started).toMatchObject({ status: 'RUNNING', workflow: 'hello', version: '1.0.0', created: true });
    const run = await harness.view(started.runId);
    expect(run.status).toBe('SUCCEEDED');
  });

  it('answers 401 with an error body when the key is missing', async () => {
    // Prepare
    const { handler } = await setup();
    const event = httpApiEvent({ method: 'GET', path: `/v1/tenants/${TENANT}/runs`, query: { limit: '5' } });

    // Act
    const response = await handler(event, lambdaContext());

    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it("limits unknown keys by the event's sourceIp, not by X-Forwarded-For", async () => {
    // Prepare
    const { handler, key } = await setup();
    const request = (bearer: string, forwardedFor: string) =>
      httpApiEvent({
        method: 'GET',
        path: `/v1/tenants/${TENANT}/runs`,
        headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': forwardedFor },
      });
    for (let i = 0; i < 20; i++)
      await handler(request(`skein_guess-${i}`, `198.51.100.${i}`), lambdaContext());

    // Act
    const response = await handler(request(key, '198.51.100.99'), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.headers?.['retry-after']).toBe('3');
  });
});
