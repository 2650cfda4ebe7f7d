import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { createApp } from '../../shared/api/app.ts';
import { LIMITS } from '../../shared/domain/limits.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { Json } from './api-on-harness.ts';

/** Regression tests for what `npm run fuzz` found (see bench/RESULTS.md, "API fuzzing"). */

async function setup() {
  const clock = new FakeClock();
  const apiKeys = new MemoryApiKeyStore();
  const { key } = await createApiKey({ apiKeys, clock, ids: sequentialIds('k') }, 'acme');
  const logged: unknown[] = [];
  const app = createApp({
    definitions: new MemoryDefinitionStore(),
    clock,
    apiKeys,
    ids: sequentialIds('a'),
    storeName: 'memory',
    log: (_message, error) => logged.push(error),
  });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return { app, headers, logged };
}

/** A body that is read only when someone pulls it, and says so. */
function trackedBody(text: string) {
  const state = { pulled: false };
  // highWaterMark 0: nothing is pulled ahead, only what a reader asks for.
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulled = true;
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

describe('bad node types', () => {
  it('answers 422, not 500, for a node type that is an object whose toString is not a function', async () => {
    // Prepare
    const { app, headers, logged } = await setup();
    const body = '{"nodes":{"a":{"type":{"toString":[1],"valueOf":{}}}}}';

    // Act
    const published = await app.request('/v1/tenants/acme/workflows/odd/versions/1.0.0', {
      method: 'PUT',
      headers,
      body,
    });
    const validated = await app.request('/v1/dag/validate', { method: 'POST', headers, body });

    // Assess
    expect(published.status).toBe(422);
    expect(await validated.json()).toMatchObject({
      valid: false,
      errors: [
        {
          code: 'SCHEMA',
          path: '$.nodes.a.type',
          message: expect.stringMatching(/^the node type must be a string, got object/),
        },
      ],
    });
    expect(logged).toEqual([]);
  });

  it('never writes "[object Object]" for a node type that is an array', async () => {
    // Prepare
    const { app, headers } = await setup();

    // Act
    const response = await app.request('/v1/dag/validate', {
      method: 'POST',
      headers,
      body: '{"nodes":{"a":{"type":[{"x":1}]}}}',
    });

    // Assess
    const text = await response.text();
    expect(text).toContain('the node type must be a string, got array');
    expect(text).not.toContain('[object Object]');
  });
});

describe('connections after an early answer', () => {
  it('reads a body the route left unread before answering, so Node can keep the connection', async () => {
    // Prepare
    const { app, headers } = await setup();
    const { stream, state } = trackedBody('{"unused":true}');

    // Act: another tenant's route answers 404 before any body is read.
    const response = await app.request('/v1/tenants/globex/runs/x/pause', {
      method: 'POST',
      headers: { ...headers, 'content-length': '15' },
      body: stream,
      duplex: 'half',
    } as RequestInit);

    // Assess
    expect(response.status).toBe(404);
    expect(state.pulled).toBe(true);
    expect(response.headers.get('connection')).toBeNull();
  });

  it('answers a body over the limit with 413 and Connection: close', async () => {
    // Prepare
    const { app, headers } = await setup();
    const size = LIMITS.maxDefinitionBytes + 1;

    // Act
    const response = await app.request('/v1/dag/validate', {
      method: 'POST',
      headers: { ...headers, 'content-length': String(size) },
      body: 'x'.repeat(size),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toMatchObject({ error: { code: 'TOO_LARGE' } });
  });
});

describe('the OpenAPI document', () => {
  it('describes every field of a published version, dependencies included', async () => {
    // Prepare
    const { app, headers } = await setup();
    const definition = { nodes: { child: { type: 'workflow', workflow: 'billing', version: '^1.2.0' } } };
    await app.request('/v1/tenants/acme/workflows/billing/versions/1.2.0', {
      method: 'PUT',
      headers,
      body: JSON.stringify({ nodes: { a: { type: 'noop' } } }),
    });
    await app.request('/v1/tenants/acme/workflows/caller/versions/1.0.0', {
      method: 'PUT',
      headers,
      body: JSON.stringify(definition),
    });
    const doc = (await (await app.request('/openapi.json')).json()) as Json;
    const documented =
      doc.paths['/v1/tenants/{tenant}/workflows/{workflow}/versions/{version}'].get.responses['200'].content[
        'application/json'
      ].schema.properties;

    // Act
    const response = await app.request('/v1/tenants/acme/workflows/caller/versions/1.0.0', { headers });

    // Assess
    const body = (await response.json()) as Json;
    expect(body.dependencies).toEqual([
      { workflowId: 'billing', range: '^1.2.0', nodeId: 'child', reads: [], supplies: [] },
    ]);
    expect(Object.keys(body).filter((field) => !(field in documented))).toEqual([]);
  });

  it('lists 413 on every route and 415 on every route that reads a body', async () => {
    // Prepare
    const { app } = await setup();

    // Act
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: object; requestBody?: object }>>;
    };

    // Assess
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ key: `${method} ${path}`, ...op })),
    );
    const secured = operations.filter((op) => !op.key.endsWith('/health'));
    expect(secured.filter((op) => !('413' in op.responses)).map((op) => op.key)).toEqual([]);
    const withBody = operations.filter((op) => op.requestBody);
    expect(withBody.filter((op) => !('415' in op.responses)).map((op) => op.key)).toEqual([]);
  });
});
