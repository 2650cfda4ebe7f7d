import { describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../../shared/domain/limits.ts';
import { type FetchLike, HttpExecutor } from '../../../shared/executors/http.ts';
import { base, big, ctx, errorMessage, executor, node, useTestServer } from './http-test-server.ts';

useTestServer();

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
    expect(errorMessage(result)).toContain(`add ${status} to acceptStatus`);
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
    expect(errorMessage(result)).toContain('169.254.169.254');
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
});
