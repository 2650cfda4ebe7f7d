/** The HTTP executor tests' local server and fixtures, shared by the test files. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { HttpExecutor, type HttpNode } from '../../../shared/executors/http.ts';
import type { Resolver } from '../../../shared/executors/ssrf-guard.ts';
import type { ExecutionResult } from '../../../shared/ports/executor.ts';
import { testContext } from './test-context.ts';

export const ctx = testContext({ nodeId: 'call', attempt: 2 });
export const node: HttpNode = { type: 'http' };
/** The message of a failed result, undefined for any other. */
export const errorMessage = (result: ExecutionResult) =>
  result.kind === 'failed' ? result.error.message : undefined;
// Live bindings: set when the server listens (`useTestServer`), read by the tests at run time.
export let executor: HttpExecutor;
export let base = '';
export let port = 0;
let server: Server;
/** A resolver that knows names the system resolver does not, and counts its calls per name. */
export const fakeDns = (names: Record<string, string>) => {
  const calls: string[] = [];
  const resolver: Resolver = async (host) => {
    calls.push(host);
    const address = names[host];
    if (address === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return [{ address, family: 4 }];
  };
  return { resolver, calls };
};
/** How much of the endless `/big` body the server sent, and whether it sent it all. */
export const big = { sent: 0, done: false };

/**
 * Starts the test server (routes: json, bad-json, text, status/<n>, hang, hop/<n>, to/<url>,
 * deep-json, to-metadata, big, and an echo of the request) for the calling test file, and an
 * executor allow-listed for it.
 */
export function useTestServer(): void {
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
}
