import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from './api-server.ts';

let api: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  api = await startApiServer();
});
afterAll(async () => {
  expect(api.errors).toEqual([]);
  await api.close();
});

const hello = `
description: says hello
inputs:
  name: { type: string, default: world }
nodes:
  greet: { type: noop }
  shout: { type: noop, needs: [greet] }
`;
const wf = (tenant: string, rest = '') => `/v1/tenants/${tenant}/workflows${rest}`;
const yaml = 'application/yaml';

describe('HTTP API', () => {
  it('answers /health without a key', async () => {
    const { status, json } = await api.request('GET', '/health');
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'ok', store: 'dynamodb-local' });
  });

  it('validates a YAML definition and returns the same result object as the CLI', async () => {
    // Act
    const { status, json } = await api.request('POST', '/v1/dag/validate', {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    // Assess
    expect(status).toBe(200);
    expect(json).toEqual({ valid: true, errors: [], order: [['greet'], ['shout']] });
  });

  it('returns every problem of an invalid definition with 200 and valid: false', async () => {
    const body = JSON.stringify({
      nodes: { a: { type: 'noop', needs: ['b'] }, b: { type: 'noop', needs: ['a'] } },
    });
    const { status, json } = await api.request('POST', '/v1/dag/validate', {
      key: api.keys.acme,
      body,
      type: 'application/json',
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      valid: false,
      order: [],
      errors: [{ code: 'CYCLE', path: '$.nodes.a.needs[0]' }],
    });
  });

  it('reports duplicate keys in the validation result rather than as a 400', async () => {
    const body = 'nodes:\n  a: { type: noop }\n  a: { type: noop }\n';
    const { status, json } = await api.request('POST', '/v1/dag/validate', {
      key: api.keys.acme,
      body,
      type: yaml,
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ valid: false, errors: [{ code: 'DUPLICATE_KEY', path: '$.nodes.a' }] });
  });

  it('publishes, is idempotent, refuses changes and lower versions', async () => {
    // Act
    const first = await api.request('PUT', wf('acme', '/hello/versions/1.0.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    const again = await api.request('PUT', wf('acme', '/hello/versions/1.0.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    const changed = await api.request('PUT', wf('acme', '/hello/versions/1.0.0'), {
      key: api.keys.acme,
      body: hello.replace('says hello', 'changed'),
      type: yaml,
    });
    await api.request('PUT', wf('acme', '/hello/versions/1.2.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    const lower = await api.request('PUT', wf('acme', '/hello/versions/1.1.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    // Assess
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ workflowId: 'hello', version: '1.0.0', created: true });
    expect(first.headers.get('location')).toBe('/v1/tenants/acme/workflows/hello/versions/1.0.0');
    expect(again.status).toBe(200);
    expect(again.json.created).toBe(false);
    expect(changed.status).toBe(409);
    expect(changed.json.error.code).toBe('VERSION_EXISTS');
    expect(lower.status).toBe(409);
    expect(lower.json.error.message).toContain('1.2.0');
  });

  it('lists workflows and versions and gets one version, or latest', async () => {
    // Prepare
    await api.request('PUT', wf('acme', '/listed/versions/0.1.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    await api.request('PUT', wf('acme', '/listed/versions/0.2.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    // Act
    const list = await api.request('GET', wf('acme'), { key: api.keys.acme });
    const one = await api.request('GET', wf('acme', '/listed'), { key: api.keys.acme });
    const latest = await api.request('GET', wf('acme', '/listed/versions/latest'), { key: api.keys.acme });
    const exact = await api.request('GET', wf('acme', '/listed/versions/0.1.0'), { key: api.keys.acme });
    // Assess
    expect(list.json.items.map((w: { workflowId: string }) => w.workflowId)).toContain('listed');
    expect(one.json).toMatchObject({ workflowId: 'listed', latest: '0.2.0', versionCount: 2 });
    expect(one.json.versions.map((v: { version: string }) => v.version)).toEqual(['0.2.0', '0.1.0']);
    expect(latest.json).toMatchObject({
      version: '0.2.0',
      definition: { nodes: { greet: { type: 'noop' } } },
    });
    expect(exact.json.version).toBe('0.1.0');
  });

  it('paginates workflows with a cursor', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) {
      await api.request('PUT', wf('globex', `/${id}/versions/1.0.0`), {
        key: api.keys.globex,
        body: hello,
        type: yaml,
      });
    }
    const first = await api.request('GET', wf('globex', '?limit=2'), { key: api.keys.globex });
    const second = await api.request('GET', wf('globex', `?limit=2&cursor=${first.json.cursor}`), {
      key: api.keys.globex,
    });
    expect(
      [...first.json.items, ...second.json.items].map((w: { workflowId: string }) => w.workflowId),
    ).toEqual(['page-a', 'page-b', 'page-c']);
    expect(second.json.cursor).toBeUndefined();
  });

  it('answers 404, not 403, to a key of another tenant', async () => {
    await api.request('PUT', wf('acme', '/secret/versions/1.0.0'), {
      key: api.keys.acme,
      body: hello,
      type: yaml,
    });
    const { status, json } = await api.request('GET', wf('acme', '/secret'), { key: api.keys.globex });
    expect(status).toBe(404);
    expect(json.error.code).toBe('NOT_FOUND');
  });

  it('answers 401 without a key or with an unknown key', async () => {
    expect((await api.request('GET', wf('acme'))).status).toBe(401);
    expect((await api.request('GET', wf('acme'), { key: 'skein_not-a-real-key' })).json.error.code).toBe(
      'UNAUTHORIZED',
    );
  });

  it('answers bad input with a 4xx error object, never a 500', async () => {
    // Prepare
    const key = api.keys.acme;
    const cases = [
      api.request('PUT', wf('acme', '/x/versions/1.0.0'), {
        key,
        body: '{"nodes": ',
        type: 'application/json',
      }),
      api.request('PUT', wf('acme', '/x/versions/1.0.0'), { key, body: 'nodes: [a', type: yaml }),
      api.request('PUT', wf('acme', '/x/versions/1.0.0'), {
        key,
        body: 'x'.repeat(1024 * 1024 + 10),
        type: yaml,
      }),
      api.request('PUT', wf('acme', '/x/versions/1.0.0'), { key, body: 'nodes: {}', type: 'text/plain' }),
      api.request('PUT', wf('acme', '/x/versions/one'), { key, body: hello, type: yaml }),
      api.request('PUT', wf('acme', '/Bad_Id/versions/1.0.0'), { key, body: hello, type: yaml }),
      api.request('PUT', wf('acme', '/x/versions/1.0.0'), { key, body: '', type: yaml }),
      api.request('PUT', wf('acme', '/x/versions/1.0.0'), { key, body: '[1, 2]', type: 'application/json' }),
      api.request('GET', wf('acme', '?limit=0'), { key }),
      api.request('GET', wf('acme', '?cursor=garbage'), { key }),
      api.request('GET', wf('acme', '/nope'), { key }),
      api.request('GET', '/v1/nowhere', { key }),
      api.request('DELETE', '/health'),
    ];
    // Act
    const responses = await Promise.all(cases);
    // Assess
    expect(responses.map((r) => r.status)).toEqual([
      400, 400, 413, 415, 400, 400, 400, 422, 400, 400, 404, 404, 404,
    ]);
    for (const response of responses) {
      expect(response.json).toEqual({
        error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
      });
      expect(response.text).not.toMatch(/\bat .+\.ts:\d+/);
    }
  });

  it('serves an OpenAPI document generated from the schemas', async () => {
    const { status, json } = await api.request('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(json.openapi).toBe('3.1.0');
    expect(Object.keys(json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/dag/validate',
        '/v1/tenants/{tenant}/workflows/{workflow}/versions/{version}',
      ]),
    );
  });
});
