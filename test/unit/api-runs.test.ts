import { describe, expect, it } from 'vitest';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { apiOnHarness } from './api-on-harness.ts';

const hello = {
  id: 'hello',
  inputs: { name: { type: 'string', default: 'world' } },
  outputs: { greeting: '{% $inputs.name %}' },
  nodes: { greet: { type: 'noop' }, shout: { type: 'noop', needs: ['greet'] } },
};
const flaky = {
  id: 'flaky',
  nodes: {
    a: { type: 'noop' },
    b: {
      type: 'script',
      language: 'js',
      code: 'throw new Error("boom")',
      needs: ['a'],
      retry: { maxAttempts: 1 },
    },
  },
};

/** The API on memory adapters with `hello` and `flaky` published. */
async function setup(sleep?: (ms: number) => Promise<void>) {
  const api = await apiOnHarness(sleep ? { sleep } : {});
  await api.harness.publish(hello);
  await api.harness.publish(flaky);
  return api;
}

const start = (workflow: string) => `/v1/tenants/${TENANT}/workflows/${workflow}/runs`;
const runs = (rest = '') => `/v1/tenants/${TENANT}/runs${rest}`;

describe('POST /v1/tenants/{tenant}/workflows/{workflow}/runs', () => {
  it('starts a run of the latest version from an empty body with 202 and its Location', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const { status, json, headers } = await call('POST', start('hello'), '');
    // Assess
    expect(status).toBe(202);
    expect(json).toEqual({
      runId: json.runId,
      status: 'RUNNING',
      workflow: 'hello',
      version: '1.0.0',
      created: true,
    });
    expect(headers.get('location')).toBe(runs(`/${json.runId}`));
  });

  it('reads a YAML body and pins the run to the greatest version in the range', async () => {
    // Prepare
    const { harness, call } = await setup();
    await harness.publish(hello, '1.1.0');
    await harness.publish(hello, '2.0.0');
    // Act
    const started = await call(
      'POST',
      start('hello'),
      'version: ^1.0.0\ninputs: { name: ada }\n',
      'application/yaml',
    );
    await harness.drain();
    const run = await call('GET', runs(`/${started.json.runId}`));
    // Assess
    expect(started.json).toMatchObject({ status: 'RUNNING', version: '1.1.0' });
    expect(run.json).toMatchObject({ status: 'SUCCEEDED', version: '1.1.0', inputs: { name: 'ada' } });
  });

  it('answers 200 with the whole run when it ends within wait', async () => {
    // Prepare
    let harness: WorkflowHarness | undefined;
    const sleeps: number[] = [];
    const api = await setup(async (ms) => {
      sleeps.push(ms);
      await harness?.drain();
    });
    harness = api.harness;
    // Act
    const { status, json } = await api.call('POST', start('hello'), { inputs: { name: 'ada' }, wait: 5 });
    // Assess
    expect(status).toBe(200);
    expect(json).toEqual((await api.call('GET', runs(`/${json.runId}?outputs=true`))).json);
    expect(json).toMatchObject({
      status: 'SUCCEEDED',
      outputs: { greeting: 'ada' },
      progress: { percent: 100 },
    });
    expect(sleeps).toEqual([100]);
  });

  it('answers 202 with the summary when the run is still going after wait seconds', async () => {
    // Prepare
    const sleeps: number[] = [];
    const { call } = await setup(async (ms) => {
      sleeps.push(ms);
    });
    // Act
    const { status, json } = await call('POST', start('hello'), { wait: 0.25 });
    // Assess
    expect(status).toBe(202);
    expect(json).toMatchObject({ status: 'RUNNING', workflow: 'hello', created: true });
    expect(sleeps).toEqual([100, 100, 50]);
  });

  it('waits no longer than the Lambda has left, so the answer comes before the function times out', async () => {
    // Prepare: 4 s left in the API function, a client asking for 30 s
    const sleeps: number[] = [];
    const api = await apiOnHarness({
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      env: { lambdaContext: { getRemainingTimeInMillis: () => 4_000 } },
    });
    await api.harness.publish(hello);
    // Act
    const { status, json } = await api.call('POST', start('hello'), { wait: 30 });
    // Assess: 4 s minus the 1.5 s margin, then the 202 with the run id to poll
    expect(status).toBe(202);
    expect(json).toMatchObject({ status: 'RUNNING', created: true });
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(2_500);
  });

  it('returns the first run with 200 for a repeated idempotencyKey, and the whole run once it ended', async () => {
    // Prepare
    const { harness, call } = await setup();
    const body = { idempotencyKey: 'order-7', inputs: { name: 'ada' } };
    const first = await call('POST', start('hello'), body);
    // Act
    const again = await call('POST', start('hello'), { ...body, wait: 1 });
    await harness.drain();
    const ended = await call('POST', start('hello'), { ...body, wait: 1 });
    const otherWorkflow = await call('POST', start('flaky'), { idempotencyKey: 'order-7' });
    const listed = await call('GET', runs());
    // Assess
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ ...first.json, created: false });
    expect(ended.status).toBe(200);
    expect(ended.json).toMatchObject({ runId: first.json.runId, status: 'SUCCEEDED', nodes: { greet: {} } });
    expect(otherWorkflow.status).toBe(409);
    expect(otherWorkflow.json.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      path: '$.idempotencyKey',
    });
    expect(listed.json.items).toHaveLength(1);
  });

  it('answers 404 for an unknown workflow and 422 listing every problem of the inputs', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const unknown = await call('POST', start('nope'), {});
    const badInputs = await call('POST', start('hello'), { inputs: { name: 5, nmae: 'x' } });
    const missingVersion = await call('POST', start('hello'), { version: '^3.0.0' });
    // Assess
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
    expect(badInputs.status).toBe(422);
    expect(badInputs.json.error).toMatchObject({ code: 'INVALID_INPUTS', path: '$.inputs.name' });
    expect(badInputs.json.error.errors).toEqual([
      expect.objectContaining({ code: 'SCHEMA', path: '$.inputs.name' }),
      expect.objectContaining({
        path: '$.inputs.nmae',
        message: expect.stringContaining('did you mean "name"'),
      }),
    ]);
    expect(missingVersion.status).toBe(404);
    expect(missingVersion.json.error.path).toBe('$.version');
  });

  it('refuses a wait over 30 seconds, a wait that is not a number and an unknown field with 400', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const tooLong = await call('POST', start('hello'), { wait: 31 });
    const notNumber = await call('POST', start('hello'), { wait: '5' });
    const typo = await call('POST', start('hello'), { input: { name: 'ada' } });
    // Assess
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error).toMatchObject({ code: 'SCHEMA', path: '$.wait' });
    expect(tooLong.json.error.message).toContain('0 to 30');
    expect(notNumber.json.error).toMatchObject({ code: 'SCHEMA', path: '$.wait' });
    expect(typo.status).toBe(400);
    expect(typo.json.error).toMatchObject({ path: '$.input', message: expect.stringContaining('"inputs"') });
  });
});

describe('GET /v1/tenants/{tenant}/runs', () => {
  it('lists runs newest first, filtered by workflow and status, a page at a time', async () => {
    // Prepare
    const { harness, call } = await setup();
    const ids: string[] = [];
    for (const workflow of ['hello', 'flaky', 'hello'])
      ids.push((await call('POST', start(workflow))).json.runId);
    await harness.drain();
    // Act
    const all = await call('GET', runs());
    const failed = await call('GET', runs('?workflow=flaky&status=FAILED'));
    const first = await call('GET', runs('?limit=2'));
    const next = await call('GET', runs(`?limit=2&cursor=${first.json.cursor}`));
    // Assess
    expect(all.json.items.map((run: { runId: string }) => run.runId)).toEqual([...ids].reverse());
    expect(failed.json).toEqual({
      items: [
        {
          runId: ids[1],
          workflow: 'flaky',
          version: '1.0.0',
          status: 'FAILED',
          createdAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:00.000Z',
          error: { code: 'SCRIPT_ERROR', message: 'boom', nodeId: 'b' },
        },
      ],
    });
    expect(first.json.items).toHaveLength(2);
    expect(next.json).toEqual({ items: [all.json.items[2]] });
  });

  it('refuses an unknown status naming the allowed values, and a limit outside 1..100', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const status = await call('GET', runs('?status=DONE'));
    const limits = await Promise.all(['0', '101', 'x'].map((limit) => call('GET', runs(`?limit=${limit}`))));
    const cursor = await call('GET', runs('?cursor=bm9wZQ'));
    // Assess
    expect(status.status).toBe(400);
    expect(status.json.error).toMatchObject({ code: 'INVALID_QUERY', path: '$.query.status' });
    expect(status.json.error.message).toContain(
      'QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT',
    );
    for (const limit of limits)
      expect(limit.json.error).toMatchObject({ code: 'INVALID_QUERY', path: '$.query.limit' });
    expect(cursor.status).toBe(400);
  });
});

describe('GET /v1/tenants/{tenant}/runs/{run}', () => {
  it("returns the run with every node's status, attempts, output and error (outputs=true)", async () => {
    // Prepare
    const { harness, call } = await setup();
    const { runId } = (await call('POST', start('flaky'))).json;
    await harness.drain();
    // Act
    const { status, json } = await call('GET', runs(`/${runId}?outputs=true`));
    // Assess
    expect(status).toBe(200);
    expect(json).toMatchObject({
      runId,
      workflow: 'flaky',
      status: 'FAILED',
      inputs: {},
      error: { code: 'SCRIPT_ERROR', nodeId: 'b' },
      progress: { total: 2, done: 2, percent: 100, byStatus: { SUCCEEDED: 1, FAILED: 1 } },
      nodes: {
        a: { status: 'SUCCEEDED', attempts: 1, output: {} },
        b: { status: 'FAILED', attempts: 1, error: { code: 'SCRIPT_ERROR', message: 'boom' } },
      },
    });
    expect(json.nodes.b).toHaveProperty('startedAt');
    expect(json).toHaveProperty('endedAt');
  });

  it('pages the nodes in definition order, leaving outputs out unless asked', async () => {
    // Prepare: 250 nodes with 1 KB outputs
    const { harness, call } = await setup();
    const nodes: Record<string, unknown> = {};
    for (let i = 0; i < 250; i++)
      nodes[`n${String(i).padStart(3, '0')}`] = { type: 'noop', with: { pad: 'x'.repeat(1000) } };
    await harness.publish({ id: 'wide', nodes });
    const { runId } = (await call('POST', start('wide'))).json;
    await harness.drain();
    // Act
    const first = await call('GET', runs(`/${runId}`));
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(
        'GET',
        runs(`/${runId}?limit=100${cursor ? `&cursor=${cursor}` : ''}&outputs=true`),
      );
      ids.push(...Object.keys(page.json.nodes));
      expect(
        Object.values(page.json.nodes).every((node) => (node as { output?: unknown }).output !== undefined),
      ).toBe(true);
      cursor = page.json.nodesCursor;
      pages += 1;
    } while (cursor);
    const forged = await call(
      'GET',
      runs(`/${runId}?cursor=${Buffer.from('nodes:999').toString('base64url')}`),
    );
    const tooMany = await call('GET', runs(`/${runId}?limit=5000`));
    // Assess
    expect(first.status).toBe(200);
    expect(Object.keys(first.json.nodes)).toHaveLength(100);
    expect(Object.values(first.json.nodes).some((node) => 'output' in (node as object))).toBe(false);
    expect(first.json.progress).toMatchObject({ total: 250, done: 250 });
    expect(first.json.nodesCursor).toEqual(expect.any(String));
    expect(pages).toBe(3);
    expect(ids).toEqual(Object.keys(nodes));
    expect(forged).toMatchObject({
      status: 400,
      json: { error: { code: 'INVALID_CURSOR', path: '$.query.cursor' } },
    });
    expect(tooMany).toMatchObject({ status: 400 });
  });

  it("answers 404 for another tenant's run, whichever tenant the path names", async () => {
    // Prepare
    const { call, otherKey } = await setup();
    const { runId } = (await call('POST', start('hello'))).json;
    // Act
    const asOther = await call('GET', `/v1/tenants/other/runs/${runId}`, undefined, undefined, otherKey);
    const pathOfOwner = await call('GET', runs(`/${runId}`), undefined, undefined, otherKey);
    const listOfOther = await call('GET', '/v1/tenants/other/runs', undefined, undefined, otherKey);
    const cancelAsOther = await call(
      'POST',
      `/v1/tenants/other/runs/${runId}/cancel`,
      '',
      undefined,
      otherKey,
    );
    const unknown = await call('GET', runs('/no-such-run'));
    const malformed = await call('GET', runs(`/${'x'.repeat(300)}`));
    // Assess
    for (const response of [asOther, pathOfOwner, cancelAsOther, unknown, malformed]) {
      expect(response.status).toBe(404);
      expect(response.json.error.code).toBe('NOT_FOUND');
    }
    expect(listOfOther.json).toEqual({ items: [] });
    expect((await call('GET', runs(`/${runId}`))).json.status).toBe('RUNNING');
  });
});
