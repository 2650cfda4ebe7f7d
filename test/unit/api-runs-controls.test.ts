import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { apiOnHarness, type Json } from './api-on-harness.ts';

const flaky = {
  id: 'flaky',
  inputs: { n: { type: 'integer', default: 1 } },
  nodes: {
    a: { type: 'noop' },
    b: {
      type: 'script',
      language: 'js',
      code: 'throw new Error("boom")',
      needs: ['a'],
      retry: { maxAttempts: 1 },
    },
    c: { type: 'noop', needs: ['b'] },
  },
};

/** The API on memory adapters with `flaky` published, and a helper that starts a run of it. */
async function setup(withEngine = true) {
  const api = await apiOnHarness({ withEngine });
  await api.harness.publish(flaky);
  const startRun = async () =>
    (await api.call('POST', `/v1/tenants/${TENANT}/workflows/flaky/runs`)).json.runId as string;
  return { ...api, startRun };
}

const run = (runId: string, action = '') => `/v1/tenants/${TENANT}/runs/${runId}${action}`;

describe('POST /v1/tenants/{tenant}/runs/{run}/pause|resume|cancel', () => {
  it('pauses, resumes and cancels a run, answering its id and new status', async () => {
    // Prepare
    const { harness, call, startRun } = await setup();
    const runId = await startRun();
    // Act
    const paused = await call('POST', run(runId, '/pause'));
    const resumed = await call('POST', run(runId, '/resume'), '');
    const cancelled = await call('POST', run(runId, '/cancel'));
    await harness.drain();
    // Assess
    expect([paused, resumed, cancelled].map(({ status, json }) => [status, json])).toEqual([
      [200, { runId, status: 'PAUSED' }],
      [200, { runId, status: 'RUNNING' }],
      [200, { runId, status: 'CANCELLED' }],
    ]);
    expect((await call('GET', run(runId))).json.status).toBe('CANCELLED');
  });

  it("refuses a control the run's state does not allow with 409 RUN_STATE naming the state", async () => {
    // Prepare
    const { harness, call, startRun } = await setup();
    const runId = await startRun();
    // Act
    const resumeRunning = await call('POST', run(runId, '/resume'));
    await harness.drain();
    const pauseFailed = await call('POST', run(runId, '/pause'));
    const cancelFailed = await call('POST', run(runId, '/cancel'));
    // Assess
    for (const { status, json } of [resumeRunning, pauseFailed, cancelFailed]) {
      expect(status).toBe(409);
      expect(json.error.code).toBe('RUN_STATE');
    }
    expect(resumeRunning.json.error.message).toContain('it is RUNNING');
    expect(pauseFailed.json.error.message).toContain('it is FAILED');
  });
});

describe('POST /v1/tenants/{tenant}/runs/{run}/retry', () => {
  it('retries every failed node without a body, and the named nodes with one', async () => {
    // Prepare
    const { harness, call, startRun } = await setup();
    const runId = await startRun();
    await harness.drain();
    // Act
    const all = await call('POST', run(runId, '/retry'));
    await harness.drain();
    const named = await call('POST', run(runId, '/retry'), 'nodes: [b]\n', 'application/yaml');
    const again = await call('POST', run(runId, '/retry'), { nodes: ['b'] });
    await harness.drain();
    // Assess
    expect(all).toMatchObject({ status: 200, json: { runId, status: 'RUNNING' } });
    expect(named).toMatchObject({ status: 200, json: { runId, status: 'RUNNING' } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('RUN_STATE');
    expect((await call('GET', run(runId))).json.nodes.b).toMatchObject({ status: 'FAILED', attempts: 3 });
  });

  it('answers 202 with the run QUEUED and the progress of a retry too large to finish in the call', async () => {
    // Prepare
    const api = await apiOnHarness({ settings: { inlineControlNodes: 4 } });
    const nodes: Record<string, object> = {
      root: {
        type: 'script',
        language: 'js',
        code: 'if (ctx.attempt === 1) throw new Error("no"); return 1',
      },
    };
    for (let i = 0; i < 20; i += 1) nodes[`n${i}`] = { type: 'noop', needs: ['root'] };
    await api.harness.publish({ id: 'wide', nodes });
    const runId = (await api.call('POST', `/v1/tenants/${TENANT}/workflows/wide/runs`)).json.runId as string;
    await api.harness.drain();

    // Act
    const retried = await api.call('POST', run(runId, '/retry'));
    const during = await api.call('GET', run(runId));
    const again = await api.call('POST', run(runId, '/retry'));
    await api.harness.drain();
    const after = await api.call('GET', run(runId));

    // Assess
    expect(retried.status).toBe(202);
    expect(retried.json).toEqual({
      runId,
      status: 'QUEUED',
      control: { action: 'retry', done: 4, total: 21, since: expect.any(String) },
    });
    expect(during.json.control).toMatchObject({ action: 'retry', total: 21 });
    expect(again.status).toBe(202); // a second call goes on with the same retry
    expect(again.json.control.done).toBe(8);
    expect(after.json.status).toBe('SUCCEEDED');
    expect(after.json.control).toBeUndefined();
  });

  it('refuses an unknown node with 422 at its path, and a malformed list with 400', async () => {
    // Prepare
    const { harness, call, startRun } = await setup();
    const runId = await startRun();
    await harness.drain();
    // Act
    const unknown = await call('POST', run(runId, '/retry'), { nodes: ['a', 'bb'] });
    const empty = await call('POST', run(runId, '/retry'), { nodes: [] });
    const notList = await call('POST', run(runId, '/retry'), { nodes: 'b' });
    const notString = await call('POST', run(runId, '/retry'), { nodes: ['a', 7] });
    // Assess
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toMatchObject({ code: 'UNKNOWN_NODE', path: '$.nodes[1]' });
    expect(unknown.json.error.message).toContain('did you mean "b"');
    expect(empty.json.error).toMatchObject({ code: 'SCHEMA', path: '$.nodes' });
    expect(notList.json.error).toMatchObject({ code: 'SCHEMA', path: '$.nodes' });
    expect(notString.json.error).toMatchObject({ code: 'SCHEMA', path: '$.nodes[1]' });
    expect([empty.status, notList.status, notString.status]).toEqual([400, 400, 400]);
  });
});

describe('run routes and bad input', () => {
  it('answers every junk body with a 4xx carrying a code, a message and a path, never a 500', async () => {
    // Prepare
    const { harness, call, logged, startRun } = await setup();
    const failed = await startRun();
    await harness.drain();
    const junk: [string, string][] = [
      ['{', 'application/json'],
      ['[1, 2]', 'application/json'],
      ['42', 'application/json'],
      ['"text"', 'application/json'],
      ['{"a": 1, "a": 2}', 'application/json'],
      ['{"wait": -1}', 'application/json'],
      ['{"wait": 1e308}', 'application/json'],
      ['{"wait": null}', 'application/json'],
      ['{"inputs": []}', 'application/json'],
      ['{"inputs": "x"}', 'application/json'],
      ['{"inputs": {"n": 1.5}}', 'application/json'],
      ['{"inputs": {"__proto__": {"polluted": true}}}', 'application/json'],
      ['{"version": 7}', 'application/json'],
      ['{"version": "not a range"}', 'application/json'],
      ['{"idempotencyKey": ""}', 'application/json'],
      ['{"idempotencyKey": "has space"}', 'application/json'],
      ['{"nodes": {"b": true}}', 'application/json'],
      ['a: [1, 2', 'application/yaml'],
      ['wait: .inf', 'application/yaml'],
      ['- just\n- a list', 'application/yaml'],
      ['x: &a [*a]', 'application/yaml'],
    ];
    const targets = [`/v1/tenants/${TENANT}/workflows/flaky/runs`, run(failed, '/retry')];
    // Act
    const responses = await Promise.all(
      targets.flatMap((path) => junk.map(([body, type]) => call('POST', path, body, type))),
    );
    const wrongType = await call('POST', targets[0] ?? '', 'wait=1', 'text/plain');
    // Assess
    for (const { status, json } of responses) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(json.error).toEqual(
        expect.objectContaining({
          code: expect.any(String),
          message: expect.any(String),
          path: expect.any(String),
        }),
      );
    }
    expect(wrongType.status).toBe(415);
    expect(logged).toEqual([]);
    expect(({} as Json).polluted).toBeUndefined();
  });

  it('answers 503 ENGINE_UNAVAILABLE on the run routes of an app without an engine', async () => {
    // Prepare
    const { call } = await setup(false);
    // Act
    const responses = await Promise.all([
      call('POST', `/v1/tenants/${TENANT}/workflows/flaky/runs`, {}),
      call('GET', `/v1/tenants/${TENANT}/runs`),
      call('POST', run('m-0001', '/cancel')),
    ]);
    const workflows = await call('GET', `/v1/tenants/${TENANT}/workflows`);
    // Assess
    for (const { status, json } of responses) {
      expect(status).toBe(503);
      expect(json.error.code).toBe('ENGINE_UNAVAILABLE');
    }
    expect(workflows.status).toBe(200);
  });

  it('documents every run route in the OpenAPI document', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const { json } = await call('GET', '/openapi.json');
    // Assess
    expect(Object.keys(json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tenants/{tenant}/workflows/{workflow}/runs',
        '/v1/tenants/{tenant}/runs',
        '/v1/tenants/{tenant}/runs/{run}',
        ...['pause', 'resume', 'cancel', 'retry'].map(
          (action) => `/v1/tenants/{tenant}/runs/{run}/${action}`,
        ),
      ]),
    );
    expect(json.components.schemas).toHaveProperty('RunView');
    expect(json.components.schemas.StartRun.properties).toHaveProperty('wait');
  });
});
