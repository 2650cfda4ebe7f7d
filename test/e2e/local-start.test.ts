import { type ChildProcess, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback, listenAddresses } from '../setup/listeners.ts';
import { type NpmStart, startNpmStart } from './npm-start.ts';

const root = new URL('../..', import.meta.url).pathname;
let server: ChildProcess;
let started: NpmStart;
const output = () => started.output();
let url: string;
let key: string;
let dataDir: string;
/** A service on this machine that http nodes may call: allow-listed by flag and by variable. */
let allowed: Server;
let allowedPort = 0;
let allowedHits = 0;

/**
 * Every case on the embedded store (the default) and, for parity, on DynamoDB Local + fauxqs
 * (`--store dynamodb`, which needs Java).
 */
describe.each(['sqlite', 'dynamodb'] as const)('npm start --store %s', (store) => {
  beforeAll(async () => {
    allowed = createServer((_req, res) => {
      allowedHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"pong":true}');
    });
    await new Promise<void>((resolve) => allowed.listen(0, '127.0.0.1', resolve));
    allowedPort = (allowed.address() as AddressInfo).port;
    allowedHits = 0;
    started = await startNpmStart(['--store', store, '--allow-http', `127.0.0.1:${allowedPort}`], {
      SKEIN_HTTP_ALLOW: `localhost:${allowedPort}`,
    });
    ({ url, key, dataDir } = started);
    server = started.process;
  }, 60_000);

  afterAll(() => {
    started?.stop();
    allowed.close();
  });

  it('publishes the examples for tenant demo and prints a working key and curl', async () => {
    // Act
    const response = await fetch(`${url}/v1/tenants/demo/workflows`, {
      headers: { authorization: `Bearer ${key}` },
    });
    // Assess
    const body = (await response.json()) as { items: { workflowId: string }[] };
    expect(body.items.map((w) => w.workflowId)).toEqual([
      'child-greeting',
      'hello',
      'map-squares',
      'order-pipeline',
      'parent-calls-child',
    ]);
    expect(output()).toContain(`curl -s -H "Authorization: Bearer ${key}"`);
  });

  it('lets `skein keys create` add a key to the running store', async () => {
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['cli/bin.js', 'keys', 'create', '--tenant', 'acme', '--json', '--data-dir', dataDir],
      { cwd: root },
    );
    const created = JSON.parse(stdout) as { key: string };
    const own = await fetch(`${url}/v1/tenants/acme/workflows`, {
      headers: { authorization: `Bearer ${created.key}` },
    });
    const other = await fetch(`${url}/v1/tenants/demo/workflows`, {
      headers: { authorization: `Bearer ${created.key}` },
    });
    // Assess
    expect(own.status).toBe(200);
    expect(other.status).toBe(404);
  });

  it('lets `skein keys list` and `skein keys revoke` work on the running store; the key fails at once', async () => {
    // Prepare
    const skein = async (...args: string[]) =>
      (
        await promisify(execFile)(process.execPath, ['cli/bin.js', 'keys', ...args, '--data-dir', dataDir], {
          cwd: root,
        })
      ).stdout;
    const created = JSON.parse(
      await skein('create', '--tenant', 'revoked', '--label', 'short-lived', '--json'),
    ) as {
      key: string;
      keyId: string;
    };
    const headers = { authorization: `Bearer ${created.key}` };
    const before = await fetch(`${url}/v1/tenants/revoked/workflows`, { headers });

    // Act
    const listed = JSON.parse(await skein('list', '--tenant', 'revoked', '--json')) as { keyId: string }[];
    await skein('revoke', created.keyId, '--tenant', 'revoked');
    const after = await fetch(`${url}/v1/tenants/revoked/workflows`, { headers });

    // Assess
    expect(listed).toEqual([
      {
        keyId: created.keyId,
        label: 'short-lived',
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
      },
    ]);
    expect(before.status).toBe(200);
    expect(after.status).toBe(401);
  });

  it('runs the hello example through the run API and the local worker', async () => {
    // Act
    const response = await fetch(`${url}/v1/tenants/demo/workflows/hello/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { name: 'Ada' }, wait: 20 }),
    });
    // Assess
    const run = (await response.json()) as {
      status: string;
      outputs: unknown;
      nodes: Record<string, unknown>;
    };
    expect(response.status).toBe(200);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.outputs).toEqual({ greeting: 'Hello, Ada! / Bonjour, Ada !' });
    expect(Object.keys(run.nodes).sort()).toEqual(['english', 'french', 'join']);
  });

  it('takes the branch a condition chooses and skips the other one', async () => {
    // Act
    const response = await fetch(`${url}/v1/tenants/demo/workflows/order-pipeline/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { orderId: 'o-1', amount: 10 }, wait: 20 }),
    });
    // Assess
    const run = (await response.json()) as {
      status: string;
      outputs: unknown;
      nodes: Record<string, { status: string }>;
    };
    expect(run.status).toBe('SUCCEEDED');
    expect(run.outputs).toEqual({ orderId: 'o-1', approved: false });
    expect(run.nodes.approve?.status).toBe('SKIPPED');
    expect(run.nodes['auto-approve']?.status).toBe('SUCCEEDED');
  });

  it('runs the order pipeline above its threshold to the end once someone approves it through the API', async () => {
    // Prepare
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}/v1/tenants/demo${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary response bodies
      return { status: response.status, json: (await response.json()) as Record<string, any> };
    };
    const started = await call('POST', '/workflows/order-pipeline/runs', {
      inputs: { orderId: 'o-2', amount: 2000 },
    });
    const runId = started.json.runId as string;
    let view = await call('GET', `/runs/${runId}`);
    for (let i = 0; i < 200 && view.json.nodes.approve?.status !== 'WAITING'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await call('GET', `/runs/${runId}`);
    }
    const token = view.json.nodes.approve?.token as string;

    // Act
    const wrong = await call('POST', `/runs/${runId}/nodes/approve/complete`, { token: 'x', output: {} });
    const approved = await call('POST', `/runs/${runId}/nodes/approve/complete`, {
      token,
      output: { approved: true },
    });
    let ended = await call('GET', `/runs/${runId}`);
    for (let i = 0; i < 200 && ended.json.status === 'RUNNING'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ended = await call('GET', `/runs/${runId}`);
    }
    const again = await call('POST', `/runs/${runId}/nodes/approve/complete`, { token, output: {} });

    // Assess
    expect(view.json.nodes.approve).toMatchObject({ status: 'WAITING', token: expect.any(String) });
    expect(wrong.status).toBe(403);
    expect(approved.status).toBe(202);
    expect(ended.json).toMatchObject({ status: 'SUCCEEDED', outputs: { orderId: 'o-2', approved: true } });
    expect(ended.json.nodes.approve).not.toHaveProperty('token');
    expect(again.status).toBe(409);
  });

  it('runs the parent example, which calls the child example as a run of its own', async () => {
    // Act
    const response = await fetch(`${url}/v1/tenants/demo/workflows/parent-calls-child/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { name: 'Ada' }, wait: 20 }),
    });
    const run = (await response.json()) as {
      status: string;
      outputs: unknown;
      nodes: Record<string, { status: string; childRunId?: string }>;
    };
    const child = await fetch(`${url}/v1/tenants/demo/runs/${run.nodes.call?.childRunId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const childRun = (await child.json()) as {
      status: string;
      workflow: string;
      version: string;
      parent: unknown;
    };

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.outputs).toEqual({ shouted: 'HELLO, ADA!' });
    expect(childRun).toMatchObject({
      status: 'SUCCEEDED',
      workflow: 'child-greeting',
      version: '1.2.0',
      parent: { nodeId: 'call' },
    });
  });

  it('runs the map example over 1,000 items, 50 at a time, and sums them in order', async () => {
    // Act
    const started = await fetch(`${url}/v1/tenants/demo/workflows/map-squares/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { count: 1000 } }),
    });
    const { runId } = (await started.json()) as { runId: string };
    let run: { status: string; outputs?: unknown; nodes: Record<string, { items?: unknown }> };
    const deadline = Date.now() + 120_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const response = await fetch(`${url}/v1/tenants/demo/runs/${runId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      run = (await response.json()) as typeof run;
    } while (!['SUCCEEDED', 'FAILED'].includes(run.status) && Date.now() < deadline);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.outputs).toEqual({ items: 1000, sum: 333_833_500 });
    expect(run.nodes.square?.items).toEqual({ total: 1000, lanes: 50 });
  }, 150_000);

  it('lets `skein run --api` run a workflow file on the running server', async () => {
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'cli/bin.js',
        'run',
        'examples/hello.yaml',
        '--api',
        url,
        '--key',
        key,
        '--input',
        'name=Bob',
        '--json',
      ],
      { cwd: root },
    );
    // Assess
    const result = JSON.parse(stdout) as { status: string; outputs: unknown };
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      outputs: { greeting: 'Hello, Bob! / Bonjour, Bob !' },
    });
  });

  it('listens on 127.0.0.1 only: the API (and on --store dynamodb, DynamoDB Local and fauxqs)', () => {
    // Prepare
    const recorded = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as {
      dynamoEndpoint?: string;
      sqsEndpoint?: string;
      database?: string;
    };
    const endpoints = [url, recorded.dynamoEndpoint, recorded.sqsEndpoint].filter((e) => e !== undefined);
    const ports = endpoints.map((endpoint) => Number(new URL(endpoint).port));
    expect(endpoints).toHaveLength(store === 'sqlite' ? 1 : 3);
    if (store === 'sqlite') expect(recorded.database).toBe(join(dataDir, 'skein.db'));

    // Act
    const listeners = ports.map(listenAddresses);

    // Assess
    expect(output()).toMatch(/Listening on 127\.0\.0\.1:\d+/);
    for (const addresses of listeners) {
      expect(addresses.length).toBeGreaterThan(0);
      expect(addresses.filter((address) => !isLoopback(address))).toEqual([]);
    }
  });

  it('lets http nodes call allow-listed host:ports but never DynamoDB Local or fauxqs', async () => {
    // Prepare
    const recorded = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as {
      dynamoEndpoint?: string;
      sqsEndpoint?: string;
    };
    const call = (target: string) => ({ type: 'http', continueOnError: true, with: { url: target } });
    // The embedded store has no port: only DynamoDB Local and fauxqs have one to deny.
    const { dynamoEndpoint, sqsEndpoint } = recorded;
    const services =
      dynamoEndpoint && sqsEndpoint
        ? {
            store: call(`${dynamoEndpoint}/`),
            storeByName: call(`http://localhost:${new URL(dynamoEndpoint).port}/`),
            queue: call(`${sqsEndpoint}/`),
          }
        : {};
    expect(Object.keys(services)).toHaveLength(store === 'sqlite' ? 0 : 3);
    const definition = {
      nodes: {
        viaFlag: call(`http://127.0.0.1:${allowedPort}/ping`),
        viaVariable: call(`http://localhost:${allowedPort}/ping`),
        ...services,
      },
    };
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    await fetch(`${url}/v1/tenants/demo/workflows/calls/versions/1.0.0`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(definition),
    });

    // Act
    const response = await fetch(`${url}/v1/tenants/demo/workflows/calls/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ wait: 20 }),
    });

    // Assess
    const run = (await response.json()) as {
      status: string;
      nodes: Record<string, { status: string; output?: unknown; error?: { code: string; message: string } }>;
    };
    expect(run.status).toBe('SUCCEEDED');
    expect(run.nodes.viaFlag).toMatchObject({ status: 'SUCCEEDED', output: { body: { pong: true } } });
    expect(run.nodes.viaVariable).toMatchObject({ status: 'SUCCEEDED', output: { body: { pong: true } } });
    expect(allowedHits).toBe(2);
    const denied = [
      ['store', 'DynamoDB Local'],
      ['storeByName', 'DynamoDB Local'],
      ['queue', 'fauxqs'],
    ] as const;
    for (const [id, what] of store === 'sqlite' ? [] : denied) {
      expect(run.nodes[id]).toMatchObject({ status: 'FAILED', error: { code: 'HTTP_FORBIDDEN_ADDRESS' } });
      expect(run.nodes[id]?.error?.message).toContain(what);
    }
  });

  it('stops everything on Ctrl-C and exits 0', async () => {
    // Act
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGINT');
    // Assess
    expect(await exited).toBe(0);
    expect(output()).toContain('Stopping Skein');
  });
});
