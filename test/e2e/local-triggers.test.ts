import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmStart, startNpmStart } from './npm-start.ts';

let server: NpmStart;
let url: string;
let key: string;

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies
type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json };
}

/** Polls until `check` returns a value, or fails at the deadline with what was last seen. */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not happen within ${ms} ms\n${server.output()}`);
}

/** On the embedded store (the default) and, for parity, on DynamoDB Local + fauxqs. */
describe.each(['sqlite', 'dynamodb'] as const)('npm start --store %s: triggers', (store) => {
  beforeAll(async () => {
    server = await startNpmStart(['--memory', '--store', store]);
    ({ url, key } = server);
  }, 60_000);

  afterAll(() => {
    server?.stop();
  });

  it('fires a six-field cron trigger every 2 seconds and its runs succeed, recording the trigger', async () => {
    // Prepare
    const put = await call('PUT', '/v1/tenants/demo/triggers/every2s', {
      type: 'cron',
      workflow: 'hello',
      schedule: '*/2 * * * * *',
      inputs: { name: '{% "cron " & $inputs.scheduledAt %}' },
    });
    expect(put.status).toBe(201);

    // Act
    const firings = await until('two cron firings', async () => {
      const { json } = await call('GET', '/v1/tenants/demo/triggers/every2s');
      const started = (json.firings as Json[]).filter(
        (f) => f.outcome === 'started' || f.outcome === 'skipped',
      );
      return started.length >= 2 ? started : undefined;
    });
    await call('POST', '/v1/tenants/demo/triggers/every2s/pause');

    // Assess
    const runId = firings.find((f) => f.runId)?.runId;
    const run = await until('the run to succeed', async () => {
      const { json } = await call('GET', `/v1/tenants/demo/runs/${runId}`);
      return json.status === 'SUCCEEDED' ? json : undefined;
    });
    expect(run.trigger).toMatchObject({ triggerId: 'every2s' });
    expect(run.trigger.scheduledAt).toMatch(/:\d[02468]\.000Z$/);
    expect(run.inputs.name).toBe(`cron ${run.trigger.scheduledAt}`);
  }, 60_000);

  it('starts a run from a signed webhook and answers a bad signature 401', async () => {
    // Prepare
    const put = await call('PUT', '/v1/tenants/demo/triggers/hook', {
      type: 'webhook',
      workflow: 'hello',
      inputs: { name: '{% $inputs.body.who %}' },
    });
    const hookUrl = put.json.webhook.url as string;
    const body = JSON.stringify({ who: 'webhook' });
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const headers = {
      'webhook-id': 'msg_e2e',
      'webhook-timestamp': String(now.getTime() / 1000),
      'webhook-signature': new Webhook(put.json.secret).sign('msg_e2e', now, body),
      authorization: '',
    };

    // Act
    const accepted = await call('POST', hookUrl, body, headers);
    const bad = await call('POST', hookUrl, body, { ...headers, 'webhook-signature': 'v1,bm9wZQ==' });

    // Assess
    expect(accepted.status).toBe(202);
    expect(bad).toEqual({
      status: 401,
      json: { error: { code: 'UNAUTHORIZED', message: 'invalid signature' } },
    });
    const run = await until('the webhook run to succeed', async () => {
      const { json } = await call('GET', `/v1/tenants/demo/runs/${accepted.json.runId}`);
      return json.status === 'SUCCEEDED' ? json : undefined;
    });
    expect(run.inputs).toEqual({ name: 'webhook' });
    expect(run.trigger).toEqual({ triggerId: 'hook', deliveryId: 'msg_e2e' });
  }, 60_000);

  it('starts a run of an event trigger when a workflow’s event node puts a matching event', async () => {
    // Prepare
    const shipper = {
      id: 'shipper',
      nodes: {
        ship: {
          type: 'event',
          with: { detailType: 'order.shipped', source: 'orders', detail: { customer: 'ada', total: 250 } },
        },
      },
    };
    expect((await call('PUT', '/v1/tenants/demo/workflows/shipper/versions/1.0.0', shipper)).status).toBe(
      201,
    );
    const put = await call('PUT', '/v1/tenants/demo/triggers/on-ship', {
      type: 'event',
      workflow: 'hello',
      pattern: { source: ['skein.tenant.demo.orders'], detail: { total: [{ numeric: ['>', 100] }] } },
      inputs: { name: '{% $inputs.detail.customer %}' },
    });
    expect(put.status).toBe(201);

    // Act
    const shipped = await call('POST', '/v1/tenants/demo/workflows/shipper/runs', { wait: 10 });
    const firing = await until('the event trigger to fire', async () => {
      const { json } = await call('GET', '/v1/tenants/demo/triggers/on-ship');
      return (json.firings as Json[]).find((f) => f.outcome === 'started');
    });

    // Assess
    expect(shipped.json.status).toBe('SUCCEEDED');
    const run = await until('the triggered run to succeed', async () => {
      const { json } = await call('GET', `/v1/tenants/demo/runs/${firing.runId}`);
      return json.status === 'SUCCEEDED' ? json : undefined;
    });
    expect(run).toMatchObject({
      workflow: 'hello',
      inputs: { name: 'ada' },
      trigger: { triggerId: 'on-ship' },
    });
    expect(run.trigger.eventId).toBe(firing.eventId);
  }, 60_000);
});
