import { describe, expect, it, vi } from 'vitest';
import { type FetchLike, HttpExecutor } from '../../../shared/executors/http.ts';
import { base, ctx, errorMessage, executor, fakeDns, node, port, useTestServer } from './http-test-server.ts';

useTestServer();

describe('HttpExecutor guards: pinned addresses, credentials, denied ports, nesting', () => {
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
    expect(errorMessage(result)).toContain('resolves to 127.0.0.1, in the loopback range');
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
    expect(errorMessage(result)).toContain('pass credentials in a header');
    expect(errorMessage(result)).not.toContain('hunter2');
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
    expect(errorMessage(result)).toContain(`port ${port} is fauxqs (the local queue)`);
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
    expect(errorMessage(result)).toContain(field);
  });
});
