import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start`'s monitor end to end, on the embedded store: the run store's outbox → the monitor →
 * subscriptions matched in process (the SNS filter policy's rules) → the webhook deliverer's queue →
 * the deliverer → a receiver on this machine; the SSE stream; run histories.
 */
const root = new URL('../..', import.meta.url).pathname;
let server: ChildProcess;
let output = '';
let url: string;
let key: string;
let hooks: Server;
let hookPort = 0;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  hooks = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookPort = (hooks.address() as AddressInfo).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'skein-events-'));
  const args = ['--data-dir', dataDir, '--allow-http', `127.0.0.1:${hookPort}`];
  server = spawn(process.execPath, ['--import', 'tsx', 'functions/local/start.ts', ...args], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await until(
    () => /Try:/.test(output),
    45_000,
    () => `npm start did not come up:\n${output}`,
  );
  url = /running at (http:\/\/localhost:\d+)/.exec(output)?.[1] as string;
  key = /Demo API key for tenant "demo": (\S+)/.exec(output)?.[1] as string;
}, 60_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  hooks.close();
});

async function until(done: () => boolean, ms: number, why: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary bodies
  return { status: response.status, json: (await response.json()) as Record<string, any> };
};

describe('npm start: events and subscriptions', () => {
  it('delivers signed, filtered events of a run to an https subscription, streams them, and keeps them in order', async () => {
    // Prepare
    const subscription = await api('PUT', '/v1/tenants/demo/subscriptions/hooks', {
      endpoint: { kind: 'https', url: `http://127.0.0.1:${hookPort}/hook` },
      filter: { workflows: ['hello'], types: ['run.started', 'run.succeeded'] },
    });
    expect(subscription.status).toBe(201);
    const secret = subscription.json.secret as string;
    const stream = await fetch(`${url}/v1/tenants/demo/events/stream?workflow=hello`, {
      headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let sse = '';
    const pump = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        sse += decoder.decode(value, { stream: true });
      }
    })();
    await until(
      () => sse.includes('event: ready'),
      10_000,
      () => `no ready event: ${sse}`,
    );

    // Act
    const started = await api('POST', '/v1/tenants/demo/workflows/hello/runs', {
      inputs: { name: 'Ada' },
      wait: 10,
    });
    const runId = started.json.runId as string;

    // Assess: the webhook
    const ofRun = () => received.filter((hook) => hook.body.includes(runId));
    await until(
      () => ofRun().some((hook) => hook.body.includes('run.succeeded')),
      30_000,
      () => `no run.succeeded webhook for ${runId}; received ${JSON.stringify(received)}\n${output}`,
    );
    const verified = ofRun().map(
      (hook) =>
        new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as { type: string },
    );
    expect(verified.map((payload) => payload.type).sort()).toEqual(['run.started', 'run.succeeded']);
    // Assess: the stream (node events too: the local monitor publishes all)
    await until(
      () => sse.includes('event: run.succeeded') && sse.includes(runId),
      10_000,
      () => `the stream lacks the run's end: ${sse}`,
    );
    expect(sse).toContain('event: run.started');
    expect(sse).toContain('event: node.succeeded');
    await reader.cancel();
    await pump.catch(() => {});
    // Assess: the history
    let history: { type: string; time: string }[] = [];
    const deadline = Date.now() + 10_000;
    while (history.at(-1)?.type !== 'run.succeeded' && Date.now() < deadline) {
      history = (await api('GET', `/v1/tenants/demo/runs/${runId}/events`)).json.items;
    }
    expect(history[0]?.type).toBe('run.started');
    expect(history.at(-1)?.type).toBe('run.succeeded');
    const times = history.map((event) => event.time);
    expect(times).toEqual([...times].sort());
    // Assess: the console and the deliverer's log
    await until(
      () => output.includes(`run.succeeded demo/hello run ${runId}`),
      5_000,
      () => output,
    );
    const deliveries = await api('GET', '/v1/tenants/demo/subscriptions/hooks/deliveries');
    expect(
      deliveries.json.items
        .filter((d: { runId: string }) => d.runId === runId)
        .map((d: { status: string }) => d.status),
    ).toEqual(['delivered', 'delivered']);
  });

  it('serves Prometheus metrics and per-workflow run counts', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/skein_runs_started_total [1-9]/);
    expect(text).toMatch(/skein_runs_ended_total\{status="succeeded"\} [1-9]/);
    expect(text).toContain('skein_queue_messages{state="visible"}');
    const hello = await api('GET', '/v1/tenants/demo/workflows/hello');
    expect(hello.json.runs.started).toBeGreaterThanOrEqual(1);
    expect(hello.json.runs.succeeded).toBeGreaterThanOrEqual(1);
  });

  it('answers the SSE route without the event-stream Accept header with a 400', async () => {
    const refused = await api('GET', '/v1/tenants/demo/events/stream');
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('ACCEPT_EVENT_STREAM');
  });
});
