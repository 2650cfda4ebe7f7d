import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, engineFor, memoryRuntime } from '../../cli/in-process-runtime.ts';
import { localHttpPolicy } from '../../functions/local/http-policy.ts';
import { isLoopbackHost, localUrl, serveApi } from '../../functions/local/serve-api.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { systemClock } from '../../shared/ports/clock.ts';

const STORE = { port: 8000, what: 'DynamoDB Local (the local store)' };
const QUEUE = { port: 9324, what: 'fauxqs (the local queue)' };

describe('localHttpPolicy', () => {
  it('drops allow-list entries on the store’s or queue’s port with a notice, and denies those ports', () => {
    // Act
    const policy = localHttpPolicy(['127.0.0.1:8000,localhost:9000', 'localhost:9324'], [STORE, QUEUE]);

    // Assess
    expect(policy.allow).toEqual(['localhost:9000']);
    expect(policy.deniedPorts).toEqual([STORE, QUEUE]);
    expect(policy.notices).toEqual([
      'http allow-list entry 127.0.0.1:8000 ignored: port 8000 is DynamoDB Local (the local store), which http nodes may never call',
      'http allow-list entry localhost:9324 ignored: port 9324 is fauxqs (the local queue), which http nodes may never call',
    ]);
  });

  it('refuses an entry without a port', () => {
    expect(() => localHttpPolicy(['localhost'], [])).toThrow('a port is required');
  });
});

describe('serveApi', () => {
  it('listens on 127.0.0.1 unless told otherwise', async () => {
    // Act
    const { server, address } = await serveApi(new Hono().fetch, { port: 0 });
    server.close();

    // Assess
    expect(address.address).toBe('127.0.0.1');
  });

  it('tells loopback hosts from others and prints a URL for this machine', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.5', 'example.com'].some(isLoopbackHost)).toBe(false);
    expect([localUrl('127.0.0.1', 8080), localUrl('0.0.0.0', 8080), localUrl('10.0.0.5', 8080)]).toEqual([
      'http://localhost:8080',
      'http://localhost:8080',
      'http://10.0.0.5:8080',
    ]);
  });
});

describe('http nodes of an in-process run (skein run)', () => {
  let allowed: Server;
  let service: Server;
  const hits = { allowed: 0, service: 0 };
  const listen = (server: Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  let allowedPort = 0;
  let servicePort = 0;

  beforeAll(async () => {
    allowed = createServer((_req, res) => {
      hits.allowed++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"pong":true}');
    });
    service = createServer((_req, res) => {
      hits.service++;
      res.writeHead(200).end('store contents');
    });
    [allowedPort, servicePort] = await Promise.all([listen(allowed), listen(service)]);
  });

  afterAll(() => {
    allowed.close();
    service.close();
  });

  /** Runs a workflow of one http node per URL in-process and returns the nodes' outcomes. */
  async function run(urls: Record<string, string>, allow: string[]) {
    const runtime = { ...memoryRuntime(), services: [{ port: servicePort, what: 'the local store' }] };
    const notices: string[] = [];
    let ended = false;
    const engine = engineFor(
      runtime,
      (event) => {
        if (event.type.startsWith('run.') && event.type !== 'run.started') ended = true;
      },
      { allow, onNotice: (notice) => notices.push(notice) },
    );
    const nodes = Object.fromEntries(
      Object.entries(urls).map(([id, url]) => [id, { type: 'http', continueOnError: true, with: { url } }]),
    );
    const body = { nodes };
    await publishDefinition(
      { definitions: runtime.definitions, clock: systemClock },
      { tenant: 't', workflowId: 'calls', version: '1.0.0', body },
    );
    const { run: started } = await engine.startRun({ tenant: 't', workflow: 'calls', inputs: {} });
    await drive(runtime, engine, { done: () => ended });
    return { view: await engine.getRun('t', started.runId), notices };
  }

  it('reaches an allow-listed host:port and nothing else on loopback', async () => {
    // Act
    const { view } = await run(
      {
        allowed: `http://127.0.0.1:${allowedPort}/ping`,
        otherPort: `http://127.0.0.1:${servicePort}/`,
        byName: `http://localhost:${allowedPort}/ping`,
      },
      [`127.0.0.1:${allowedPort}`],
    );

    // Assess
    expect(view.nodes.allowed).toMatchObject({ status: 'SUCCEEDED', output: { body: { pong: true } } });
    expect(view.nodes.otherPort).toMatchObject({
      status: 'FAILED',
      error: { code: 'HTTP_FORBIDDEN_ADDRESS' },
    });
    expect(view.nodes.byName).toMatchObject({ status: 'FAILED', error: { code: 'HTTP_FORBIDDEN_ADDRESS' } });
    expect(hits.service).toBe(0);
  });

  it('never reaches a local service’s port, even when it is listed, and says so', async () => {
    // Act
    const { view, notices } = await run({ store: `http://127.0.0.1:${servicePort}/` }, [
      `127.0.0.1:${servicePort}`,
    ]);

    // Assess
    expect(notices).toEqual([expect.stringContaining(`127.0.0.1:${servicePort} ignored`)]);
    expect(view.nodes.store).toMatchObject({
      status: 'FAILED',
      error: { code: 'HTTP_FORBIDDEN_ADDRESS', message: expect.stringContaining('the local store') },
    });
    expect(hits.service).toBe(0);
  });
});
