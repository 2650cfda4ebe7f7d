import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../../shared/domain/limits.ts';
import { type FetchLike, HttpExecutor, type HttpNode } from '../../../shared/executors/http.ts';
import type { Resolver } from '../../../shared/executors/ssrf-guard.ts';
import { testContext } from './test-context.ts';

const ctx = testContext({ nodeId: 'call', attempt: 2 });
const node: HttpNode = { type: 'http' };
let executor: HttpExecutor;
let server: Server;
let base = '';
let port = 0;
/** A resolver that knows names the system resolver does not, and counts its calls per name. */
const fakeDns = (names: Record<string, string>) => {
  const calls: string[] = [];
  const resolver: Resolver = async (host) => {
    calls.push(host);
    const address = names[host];
    if (address === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return [{ address, family: 4 }];
  };
  return { resolver, calls };
};
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
    } else if (route === 'to') {
      res.writeHead(302, { location: decodeURIComponent(arg ?? '') }).end();
    } else if (route === 'deep-json') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${'['.repeat(5000)}${']'.repeat(5000)}`);
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
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  executor = new HttpExecutor({ allow: [`127.0.0.1:${port}`] });
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
    expect(result).toMatchObject({ kind: 'succeeded', output: { status: 200, body: { a: 1 } } });
    expect(result.kind === 'succeeded' && result.output).toHaveProperty(
      ['headers', 'content-type'],
      'application/json',
    );
  });

  it('keeps the text of a body labelled JSON that does not parse', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/bad-json` }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: { body: '{oops' } });
  });

  it('returns a text body as text', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/text` }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: { status: 200, body: 'hello' } });
  });

  it('sends a GET with the idempotency key of the attempt by default', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/echo` }, ctx });

    // Assess
    expect(result).toMatchObject({
      kind: 'succeeded',
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
    expect(result).toMatchObject({
      kind: 'succeeded',
      output: { body: { headers: { 'idempotency-key': 'mine' } } },
    });
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
      kind: 'succeeded',
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
      kind: 'succeeded',
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
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'HTTP_STATUS', retryable } });
    expect(result.kind === 'failed' && result.error.message).toContain(`add ${status} to acceptStatus`);
  });

  it('succeeds on a status the node accepts', async () => {
    // Act
    const result = await executor.execute({
      node: { type: 'http', acceptStatus: [404] },
      inputs: { url: `${base}/status/404` },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: { status: 404, body: 'status 404' } });
  });

  it('times out a server that never answers', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/hang`, timeout: '100ms' }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'HTTP_TIMEOUT', retryable: true } });
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
      kind: 'failed',
      error: { code: 'HTTP_ABORTED', message: expect.stringContaining('lease lost') },
    });
  });

  it('follows five redirects', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/hop/5` }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: { status: 200, body: 'arrived' } });
  });

  it('refuses a sixth redirect', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/hop/6` }, ctx });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_TOO_MANY_REDIRECTS', retryable: false },
    });
  });

  it('refuses a redirect to the metadata service', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/to-metadata` }, ctx });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_FORBIDDEN_ADDRESS', retryable: false },
    });
    expect(result.kind === 'failed' && result.error.message).toContain('169.254.169.254');
  });

  it('refuses a loopback address that is not allow-listed without calling it', async () => {
    // Prepare
    const fetch = vi.fn<FetchLike>();

    // Act
    const result = await new HttpExecutor({ fetch }).execute({ node, inputs: { url: `${base}/json` }, ctx });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_FORBIDDEN_ADDRESS', retryable: false },
    });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses a name that resolves to a private address', async () => {
    // Prepare
    const fetch = vi.fn<FetchLike>();
    const resolver = async () => [{ address: '192.168.1.10', family: 4 }];

    // Act
    const result = await new HttpExecutor({ fetch, resolver }).execute({
      node,
      inputs: { url: 'https://printer.example.com/' },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'HTTP_FORBIDDEN_ADDRESS' } });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reports a network error as retryable', async () => {
    // Prepare
    const fetch = vi.fn<FetchLike>(async () => {
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
      kind: 'failed',
      error: { code: 'HTTP_NETWORK', retryable: true, message: expect.stringContaining('ECONNREFUSED') },
    });
  });

  it('fails an oversized response without reading all of it', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/big` }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'OUTPUT_TOO_LARGE', retryable: false } });
    await vi.waitFor(() => expect(big.sent).toBeGreaterThan(LIMITS.maxOutputBytes));
    expect(big.done).toBe(false);
    expect(big.sent).toBeLessThan(32 * 1024 * 1024);
  });

  it('connects to the address the guard checked, not to a second lookup of the name', async () => {
    // Prepare: only the guard's resolver knows svc.test; a second lookup would fail.
    const dns = fakeDns({ 'svc.test': '127.0.0.1' });
    const pinned = new HttpExecutor({ allow: [`svc.test:${port}`], resolver: dns.resolver });

    // Act
    const result = await pinned.execute({ node, inputs: { url: `http://svc.test:${port}/json` }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: { status: 200, body: { a: 1 } } });
    expect(dns.calls).toEqual(['svc.test']);
  });

  it('checks and pins every redirect hop on its own', async () => {
    // Prepare
    const dns = fakeDns({ 'first.test': '127.0.0.1', 'second.test': '127.0.0.1' });
    const pinned = new HttpExecutor({
      allow: [`first.test:${port}`, `second.test:${port}`],
      resolver: dns.resolver,
    });
    const next = encodeURIComponent(`http://second.test:${port}/json`);

    // Act
    const result = await pinned.execute({
      node,
      inputs: { url: `http://first.test:${port}/to/${next}` },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: { status: 200, body: { a: 1 } } });
    expect(dns.calls).toEqual(['first.test', 'second.test']);
  });

  it('refuses a redirect to a name that now resolves to a private address', async () => {
    // Prepare: the first hop is allowed; the second name resolves to loopback, not allow-listed.
    const dns = fakeDns({ 'first.test': '127.0.0.1', 'rebound.test': '127.0.0.1' });
    const pinned = new HttpExecutor({ allow: [`first.test:${port}`], resolver: dns.resolver });
    const next = encodeURIComponent(`http://rebound.test:${port}/json`);

    // Act
    const result = await pinned.execute({
      node,
      inputs: { url: `http://first.test:${port}/to/${next}` },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_FORBIDDEN_ADDRESS', retryable: false },
    });
    expect(result.kind === 'failed' && result.error.message).toContain(
      'resolves to 127.0.0.1, in the loopback range',
    );
  });

  it('refuses a URL with a user name and password, not retryable, without showing the password', async () => {
    // Prepare
    const fetch = vi.fn<FetchLike>();

    // Act
    const result = await new HttpExecutor({ fetch, allow: [`127.0.0.1:${port}`] }).execute({
      node,
      inputs: { url: `http://admin:hunter2@127.0.0.1:${port}/json` },
      ctx,
    });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_INVALID_REQUEST', retryable: false },
    });
    expect(result.kind === 'failed' && result.error.message).toContain('pass credentials in a header');
    expect(result.kind === 'failed' && result.error.message).not.toContain('hunter2');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses a redirect to a URL with credentials', async () => {
    // Prepare
    const next = encodeURIComponent(`http://user:pw@127.0.0.1:${port}/json`);

    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/to/${next}` }, ctx });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_INVALID_REQUEST', retryable: false },
    });
  });

  it('refuses a denied port although the host and port are allow-listed', async () => {
    // Prepare
    const guarded = new HttpExecutor({
      allow: [`127.0.0.1:${port}`],
      deniedPorts: [{ port, what: 'fauxqs (the local queue)' }],
    });

    // Act
    const result = await guarded.execute({ node, inputs: { url: `${base}/json` }, ctx });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_FORBIDDEN_ADDRESS', retryable: false },
    });
    expect(result.kind === 'failed' && result.error.message).toContain(
      `port ${port} is fauxqs (the local queue)`,
    );
  });

  it('refuses an allow-list entry without a port when it is built', () => {
    expect(() => new HttpExecutor({ allow: ['localhost'] })).toThrow(
      /"localhost" is not host:port.*port is required/,
    );
  });

  it('fails a JSON response nested too deeply with OUTPUT_TOO_DEEP', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { url: `${base}/deep-json` }, ctx });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'OUTPUT_TOO_DEEP', retryable: false } });
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
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'HTTP_INVALID_REQUEST', retryable: false },
    });
    expect(result.kind === 'failed' && result.error.message).toContain(field);
  });
});
