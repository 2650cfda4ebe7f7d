import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';

/** Where `npm start` listens unless `--host` says otherwise. */
export const DEFAULT_HOST = '127.0.0.1';

/** Whether a listen address keeps the server on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(?:\.\d{1,3}){3}$/.test(bare);
}

/** The warning `npm start` prints when the API listens beyond loopback. */
export function exposedWarning(host: string, port: number): string {
  return (
    `WARNING: the API listens on ${host}:${port}, reachable from other machines. ` +
    'API keys still apply, but the demo key is printed below and kept in the data folder: ' +
    'use --host only on a network you trust (DynamoDB Local and fauxqs stay on 127.0.0.1).'
  );
}

/**
 * Serves a fetch handler with Node's HTTP server and resolves once it listens; rejects on a
 * listen error (port in use).
 * @example const { server, address } = await serveApi(app.fetch, { port: 8080 }); // address.address === '127.0.0.1'
 */
export async function serveApi(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { readonly port: number; readonly host?: string },
): Promise<{ server: ServerType; address: AddressInfo }> {
  const server = serve({ fetch, port: options.port, hostname: options.host ?? DEFAULT_HOST });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return { server, address: server.address() as AddressInfo };
}

/** The URL to print for clients on this machine. */
export function localUrl(host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  if (wildcard || isLoopbackHost(host)) return `http://localhost:${port}`;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
