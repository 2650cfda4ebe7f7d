import { type Dispatcher, Headers, type RequestInit, type Response, fetch as undiciFetch } from 'undici';
import type { z } from 'zod';
import { parseJsonBounded } from '../domain/bounded-parse.ts';
import type { NodeDefinition } from '../domain/definition-schema.ts';
import { parseDuration } from '../domain/duration.ts';
import { LIMITS } from '../domain/limits.ts';
import { httpWithSchema } from '../domain/node-inputs.ts';
import {
  boundedOutput,
  type ExecutionContext,
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  messageOf,
} from '../ports/executor.ts';
import type { Secrets } from '../ports/secrets.ts';
import { parseHttpAllow } from './http-allow.ts';
import { redactResult, resolveSecrets } from './http-secrets.ts';
import { pinnedAgent } from './pinned-agent.ts';
import {
  checkUrl,
  type DeniedPort,
  type GuardOptions,
  type GuardResult,
  type Resolver,
} from './ssrf-guard.ts';

export type HttpNode = Extract<NodeDefinition, { type: 'http' }>;

/** undici's `fetch`, or a fake of it in tests; every call gets the hop's pinned `dispatcher`. */
export type FetchLike = (url: string, init: RequestInit & { dispatcher: Dispatcher }) => Promise<Response>;

export interface HttpExecutorOptions {
  /** @default undici's fetch */
  readonly fetch?: FetchLike;
  /**
   * `host:port` destinations the SSRF guard lets through although their addresses are private
   * (`SKEIN_HTTP_ALLOW`, `--allow-http`, `-c httpAllow`). A host without a port throws. @default []
   */
  readonly allow?: readonly string[];
  /** Ports never called on any host, allow-listed or not: local mode's store and queue. @default [] */
  readonly deniedPorts?: readonly DeniedPort[];
  /** @default dns.promises.lookup(host, { all: true }) */
  readonly resolver?: Resolver;
  /** Timeout of one request when `with.timeout` is absent. @default 30_000 */
  readonly defaultTimeoutMs?: number;
  /** Where `{% $secret('name') %}` references in headers and bodies are read. @default none: such a node fails */
  readonly secrets?: Secrets;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

type HttpRequest = z.output<typeof httpWithSchema>;
type Outcome = { readonly response: Response; readonly url: string } | ExecutionResult;

/**
 * Runs `http` nodes: one outbound request, behind the SSRF guard (also for every redirect), with a
 * timeout, an `Idempotency-Key` header and a bounded response body. Each hop connects only to
 * the addresses the guard checked (a pinned DNS lookup), so a name cannot be rebound in between.
 * Output: `{ status, headers, body }`, the body parsed when the response is JSON.
 * @example
 * const result = await new HttpExecutor({ allow: ['localhost:9000'] })
 *   .execute({ node, inputs: { url: 'http://localhost:9000/orders', method: 'POST', body: { id: 1 } }, ctx });
 */
export class HttpExecutor implements Executor<HttpNode> {
  readonly type = 'http';
  private readonly fetch: FetchLike;
  private readonly guard: GuardOptions;
  private readonly defaultTimeoutMs: number;
  private readonly secrets: Secrets | undefined;

  constructor(options: HttpExecutorOptions = {}) {
    this.fetch = options.fetch ?? undiciFetch;
    this.secrets = options.secrets;
    this.guard = {
      allow: parseHttpAllow(options.allow ?? []),
      deniedPorts: options.deniedPorts ?? [],
      ...(options.resolver && { resolver: options.resolver }),
    };
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    if (!(this.defaultTimeoutMs > 0)) {
      throw new Error(`HttpExecutor defaultTimeoutMs must be > 0, got ${this.defaultTimeoutMs}`);
    }
  }

  async execute(request: ExecutionRequest<HttpNode>): Promise<ExecutionResult> {
    const { ctx } = request;
    const parsed = httpWithSchema.safeParse(request.inputs ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ['with', ...(issue?.path ?? [])].join('.');
      return failure(
        'HTTP_INVALID_REQUEST',
        `${path}: ${issue?.message ?? 'invalid'} (node "${ctx.nodeId}")`,
      );
    }
    const resolved = await resolveSecrets(parsed.data, this.secrets, ctx.tenant, ctx.nodeId);
    if (!resolved.ok) return resolved.result;
    return redactResult(await this.call(request, resolved.request), resolved.values);
  }

  /** One request, parsed, its secrets already in its headers and body. */
  private async call(
    { node, ctx }: ExecutionRequest<HttpNode>,
    request: HttpRequest,
  ): Promise<ExecutionResult> {
    let headers: Headers;
    try {
      headers = new Headers(request.headers);
    } catch (error) {
      return failure('HTTP_INVALID_REQUEST', `with.headers: ${messageOf(error)} (node "${ctx.nodeId}")`);
    }
    if (!headers.has('idempotency-key')) headers.set('idempotency-key', ctx.idempotencyKey);
    let body: string | undefined;
    if (typeof request.body === 'string') body = request.body;
    else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const timeoutMs = request.timeout === undefined ? this.defaultTimeoutMs : parseDuration(request.timeout);
    const timeout = AbortSignal.timeout(timeoutMs ?? this.defaultTimeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const agents: Dispatcher[] = [];
    try {
      const sent = await this.send(request, headers, body, signal, agents);
      if (!('response' in sent)) return sent;
      return await this.read(node, ctx, request.method, sent.url, sent.response, signal);
    } catch (error) {
      return failureOf(error, signal, ctx, request.url);
    } finally {
      await Promise.allSettled(agents.map((agent) => agent.destroy()));
    }
  }

  /**
   * Sends the request and follows up to 5 redirects, each one checked by the guard and sent
   * through its own dispatcher pinned to the checked addresses (added to `agents` for clean-up).
   */
  private async send(
    request: HttpRequest,
    headers: Headers,
    body: string | undefined,
    signal: AbortSignal,
    agents: Dispatcher[],
  ): Promise<Outcome> {
    let { method, url } = request;
    for (let redirects = 0; ; redirects++) {
      const verdict = await checkUrl(url, this.guard);
      if (!verdict.ok) return refusal(verdict, method, url);
      const dispatcher = pinnedAgent(verdict.addresses);
      agents.push(dispatcher);
      const response = await this.fetch(url, {
        method,
        headers,
        body,
        signal,
        redirect: 'manual',
        dispatcher,
      });
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null) return { response, url };
      await response.body?.cancel();
      if (redirects === MAX_REDIRECTS) {
        return failure(
          'HTTP_TOO_MANY_REDIRECTS',
          `${request.method} ${request.url} redirected more than ${MAX_REDIRECTS} times: call the final URL directly`,
        );
      }
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        headers.delete('content-type');
      }
      url = next.href;
    }
  }

  private async read(
    node: HttpNode,
    ctx: ExecutionContext,
    method: string,
    url: string,
    response: Response,
    signal: AbortSignal,
  ): Promise<ExecutionResult> {
    const text = await readCapped(response, LIMITS.maxOutputBytes, signal);
    if (text === undefined) {
      return failure(
        'OUTPUT_TOO_LARGE',
        `${method} ${url} returned a body over ${LIMITS.maxOutputBytes} bytes (node "${ctx.nodeId}"): request less data, e.g. with paging`,
      );
    }
    const { status } = response;
    const accepted = (status >= 200 && status < 300) || (node.acceptStatus ?? []).includes(status);
    if (!accepted) {
      const retryable = status === 408 || status === 429 || status >= 500;
      return failure(
        'HTTP_STATUS',
        `${method} ${url} returned ${status}: ${text.slice(0, 200)}${text.length > 200 ? '…' : ''}` +
          ` (add ${status} to acceptStatus to treat it as success)`,
        retryable,
      );
    }
    const contentType = response.headers.get('content-type') ?? '';
    let body: unknown = text;
    if (/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
      const parsed = parseJsonBounded(text);
      if (parsed.ok) body = parsed.value;
      else if (parsed.problem.code === 'LIMIT') {
        return failure(
          'OUTPUT_TOO_DEEP',
          `${method} ${url} returned JSON nested more than ${LIMITS.maxNestingDepth} levels deep (node "${ctx.nodeId}"): ask for a flatter response`,
        );
      }
      // Else keep the text: a server that mislabels its body should not fail the node.
    }
    const output = { status, headers: Object.fromEntries(response.headers), body };
    return boundedOutput(ctx.nodeId, output, LIMITS.maxOutputBytes);
  }
}

/** A URL the guard turned down: refused for good (not retried), or a name that did not resolve (retried). */
function refusal(verdict: Extract<GuardResult, { ok: false }>, method: string, url: string): ExecutionResult {
  switch (verdict.kind) {
    case 'forbidden':
      return failure('HTTP_FORBIDDEN_ADDRESS', `${method} ${url} refused: ${verdict.reason}`);
    case 'invalid':
      return failure('HTTP_INVALID_REQUEST', `${method} ${redact(url)} refused: ${verdict.reason}`);
    case 'unresolved':
      return failure('HTTP_NETWORK', `${method} ${url} failed: ${verdict.reason}`, true);
  }
}

/** A URL without its user name and password, for messages. */
function redact(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return raw;
  }
}

/** Reads a body as UTF-8 text, or `undefined` as soon as it passes `maxBytes` (the rest is not read). */
async function readCapped(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    signal.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

function failureOf(error: unknown, signal: AbortSignal, ctx: ExecutionContext, url: string): ExecutionResult {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      return failure(
        'HTTP_TIMEOUT',
        `request to ${url} timed out (node "${ctx.nodeId}"): raise with.timeout`,
        true,
      );
    }
    return failure('HTTP_ABORTED', `request to ${url} was aborted: ${messageOf(reason)}`, true);
  }
  const cause = error instanceof Error && error.cause !== undefined ? `: ${messageOf(error.cause)}` : '';
  return failure('HTTP_NETWORK', `request to ${url} failed: ${messageOf(error)}${cause}`, true);
}
