import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from './io.ts';

/** Where the operator commands send their requests: a Skein API, a key and a tenant. */
export interface ApiTarget {
  /** Base URL, without a trailing slash. */
  readonly url: string;
  readonly key: string;
  readonly tenant: string;
}

/** The flags every operator command takes (commander's names). */
export interface ApiTargetOptions {
  readonly api?: string;
  readonly key?: string;
  readonly tenant?: string;
  readonly dataDir?: string;
}

/** A request that failed: what to print, and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The API to talk to: `--api`/`--key` (or `SKEIN_API`/`SKEIN_KEY`), else the `npm start` running
 * on `--data-dir` (its `server.json` and demo key); the tenant is `--tenant`, `SKEIN_TENANT` or
 * `demo`. A usage error names the three ways when none is there.
 */
export function resolveApiTarget(options: ApiTargetOptions, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  // An empty variable is an unset one.
  const tenant = options.tenant ?? (env.SKEIN_TENANT || 'demo');
  const url = options.api ?? (env.SKEIN_API || undefined);
  const key = options.key ?? (env.SKEIN_KEY || undefined);
  if (url !== undefined && key !== undefined) return { url: url.replace(/\/+$/, ''), key, tenant };
  const local = runningLocal(options.dataDir ?? '.skein');
  if (url === undefined && local) return { url: local.url, key: key ?? local.key, tenant };
  throw new CliError(
    url === undefined
      ? 'no Skein API to talk to: pass --api URL --key KEY, set SKEIN_API and SKEIN_KEY, or run `npm start` here'
      : 'an API key is needed with --api: pass --key KEY or set SKEIN_KEY',
    EXIT.usage,
  );
}

/** The API and demo key of an `npm start` running on `dataDir`, if one is. */
function runningLocal(dataDir: string): { url: string; key: string } | undefined {
  const serverFile = join(dataDir, 'server.json');
  const keyFile = join(dataDir, 'demo-api-key');
  if (!existsSync(serverFile) || !existsSync(keyFile)) return undefined;
  try {
    const server = JSON.parse(readFileSync(serverFile, 'utf8')) as { pid: number; apiUrl: string };
    process.kill(server.pid, 0); // throws when the process is gone: a stale file
    return { url: server.apiUrl, key: readFileSync(keyFile, 'utf8').trim() };
  } catch {
    return undefined;
  }
}

/** What a request answered: the status and the JSON body (undefined when it was not JSON). */
export interface ApiAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

/**
 * One request to the API with the key; a network failure is a `CliError`. Bodies are JSON unless
 * `contentType` says otherwise (a definition published as YAML).
 */
export async function send(
  target: Pick<ApiTarget, 'url' | 'key'>,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiAnswer> {
  const url = `${target.url}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.key}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** `send`, throwing a `CliError` with the API's code and message for anything but a 2xx. */
export async function call<T>(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<T> {
  const answer = await send(target, method, path, body, contentType);
  if (answer.status >= 200 && answer.status < 300) return answer.json as T;
  throw new CliError(refusalOf(answer));
}

/** `CODE message (at $.path)` of an error answer. */
export function refusalOf(answer: ApiAnswer): string {
  const error = (answer.json as { error?: { code?: string; message?: string; path?: string } } | undefined)
    ?.error;
  const code = error?.code ?? `HTTP_${answer.status}`;
  const message = error?.message ?? (answer.text.slice(0, 200) || 'no message');
  return `${code} ${message}${error?.path ? ` (at ${error.path})` : ''}`;
}

/** `/v1/tenants/<tenant>` with the tenant encoded. */
export const tenantPath = (target: ApiTarget) => `/v1/tenants/${encodeURIComponent(target.tenant)}`;
