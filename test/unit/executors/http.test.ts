import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../../shared/domain/limits.ts';
import { HttpExecutor, type HttpNode } from '../../../shared/executors/http.ts';
import { testContext } from './test-context.ts';

const ctx = testContext({ nodeId: 'call', attempt: 2 });
const node: HttpNode = { type: 'http' };
const executor = new HttpExecutor({ allowHosts: ['127.0.0.1'] });
let server: Server;
let base = '';
const big = { sent: 0, done: false };

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, route, arg] = url.pathname.split('/');
    if (route === 'json') res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}');
    else if (route === 'bad-json') res.writeHead(200, { 'content-type': 'application/json' }).end('{oops');
    else if (route === 'text') res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    else if (route === 'status') res.writeHead(Number(arg)).end(`status ${arg}`);
    else if (route === 'hang') return;
    else if (route === 'hop') {
      const left = Number(arg);
      if (left === 0) res.writeHead(200).end('arrived');
      else res.writeHead(302, { location: `/hop/${left - 1}` }).end();
    } else if (route === 'to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    } else if (route === 'big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const write = () => {
        while (big.sent < 64 * 1024 * 1024 && !res.destroyed) {
          big.sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        big.done = !res.destroyed;
        res.end();
      };
      write();
    } else {
      let body = '';
      req.on('data', (data: Buffer) => {
        body += data.toString();
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ method: req.method, path: url.pathname, headers: req.headers, body }));
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('HttpExecutor', () => {
  it('parses a JSON response body', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/json` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: true, output: { status: 200, body: { a: 1 } } });
    expect(result.ok && result.output).toHaveProperty(['headers', 'content-type'], 'application/json');
  });

  it('keeps the text of a body labelled JSON that does not parse', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/bad-json` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: true, output: { body: '{oops' } });
  });

  it('returns a text body as text', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/text` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: true, output: { status: 200, body: 'hello' } });
  });

  it('sends a GET with the idempotency key of the attempt by default', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/echo` }, ctx });

    // Assess
    expect(result).toMatchObject({
      ok: true,
      output: { body: { method: 'GET', body: '', headers: { 'idempotency-key': 'run-1/call/2' } } },
    });
  });

  it('keeps an idempotency key the user set', async () => {
    // Act
    const result = await executor.execute({
      node,
      inputs: { url: `${base}/echo`, headers: { 'Idempotency-Key': 'mine' } },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({ ok: true, output: { body: { headers: { 'idempotency-key': 'mine' } } } });
  });

  it('sends a JSON request body with a JSON content type', async () => {
    // Act
    const result = await executor.execute({
      node,
      inputs: { url: `${base}/echo`, method: 'post', body: { id: 7 } },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({
      ok: true,
      output: { body: { method: 'POST', body: '{"id":7}', headers: { 'content-type': 'application/json' } } },
    });
  });

  it('sends a string body as is with the content type the user set', async () => {
    // Act
    const result = await executor.execute({
      node,
      inputs: { url: `${base}/echo`, method: 'PUT', body: 'a=1', headers: { 'content-type': 'text/plain' } },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({
      ok: true,
      output: { body: { body: 'a=1', headers: { 'content-type': 'text/plain' } } },
    });
  });

  it.each([
    [404, false],
    [400, false],
    [408, true],
    [429, true],
    [503, true],
  ])('fails on status %i with retryable %s', async (status, retryable) => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/status/${status}` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_STATUS', retryable } });
    expect(result.ok || result.error.message).toContain(`add ${status} to acceptStatus`);
  });

  it('succeeds on a status the node accepts', async () => {
    // Act
    const result = await executor.execute({
      node: { type: 'http', acceptStatus: [404] },
      inputs: { url: `${base}/status/404` },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({ ok: true, output: { status: 404, body: 'status 404' } });
  });

  it('times out a server that never answers', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/hang`, timeout: '100ms' }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_TIMEOUT', retryable: true } });
  });

  it('stops when the attempt is aborted', async () => {
    // Prepare
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('lease lost')), 50);

    // Act
    const result = await executor.execute({
      node,
      inputs: { url: `${base}/hang` },
      ctx: { ...ctx, signal: controller.signal },
    });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'HTTP_ABORTED', message: expect.stringContaining('lease lost') },
    });
  });

  it('follows five redirects', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/hop/5` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: true, output: { status: 200, body: 'arrived' } });
  });

  it('refuses a sixth redirect', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/hop/6` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_TOO_MANY_REDIRECTS', retryable: false } });
  });

  it('refuses a redirect to the metadata service', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/to-metadata` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_FORBIDDEN_ADDRESS', retryable: false } });
    expect(result.ok || result.error.message).toContain('169.254.169.254');
  });

  it('refuses a loopback address that is not allow-listed without calling it', async () => {
    // Prepare
    const fetch = vi.fn<typeof globalThis.fetch>();

    // Act
    const result = await new HttpExecutor({ fetch }).execute({ node, inputs: { url: `${base}/json` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_FORBIDDEN_ADDRESS', retryable: false } });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses a name that resolves to a private address', async () => {
    // Prepare
    const fetch = vi.fn<typeof globalThis.fetch>();
    const resolver = async () => [{ address: '192.168.1.10', family: 4 }];

    // Act
    const result = await new HttpExecutor({ fetch, resolver }).execute({
      node,
      inputs: { url: 'https://printer.example.com/' },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_FORBIDDEN_ADDRESS' } });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reports a network error as retryable', async () => {
    // Prepare
    const fetch = vi.fn<typeof globalThis.fetch>(async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    });
    const resolver = async () => [{ address: '93.184.216.34', family: 4 }];

    // Act
    const result = await new HttpExecutor({ fetch, resolver }).execute({
      node,
      inputs: { url: 'https://api.example.com/' },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'HTTP_NETWORK', retryable: true, message: expect.stringContaining('ECONNREFUSED') },
    });
  });

  it('fails an oversized response without reading all of it', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/big` }, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'OUTPUT_TOO_LARGE', retryable: false } });
    await vi.waitFor(() => expect(big.sent).toBeGreaterThan(LIMITS.maxOutputBytes));
    expect(big.done).toBe(false);
    expect(big.sent).toBeLessThan(32 * 1024 * 1024);
  });

  it.each([
    ['no url', { method: 'GET' }, 'with.url'],
    ['a relative url', { url: '/orders' }, 'with.url'],
    ['an unknown method', { url: 'https://example.com/', method: 'FETCH' }, 'with.method'],
    ['a body on a GET', { url: 'https://example.com/', body: { a: 1 } }, 'with.body'],
    ['a header that is not a string', { url: 'https://example.com/', headers: { n: 1 } }, 'with.headers.n'],
    ['an invalid header name', { url: 'https://example.com/', headers: { 'a b': 'c' } }, 'with.headers'],
    ['a bad timeout', { url: 'https://example.com/', timeout: 'soon' }, 'with.timeout'],
    ['a zero timeout', { url: 'https://example.com/', timeout: 0 }, 'with.timeout'],
    ['an unknown field', { url: 'https://example.com/', header: {} }, '"header"'],
    ['no with at all', undefined, 'with.url'],
  ])('refuses a request with %s', async (_what, inputs, field) => {
    // Act
    const result = await executor.execute({ node, inputs, ctx });

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_INVALID_REQUEST', retryable: false } });
    expect(result.ok || result.error.message).toContain(field);
  });
});
