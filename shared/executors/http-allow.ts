/**
 * The allow-list of `http` nodes: `host:port` entries an operator lets through the SSRF guard.
 * One syntax everywhere: `npm start -- --allow-http`, `skein run --allow-http`, the
 * `SKEIN_HTTP_ALLOW` variable (comma-separated) and the CDK context value `httpAllow`.
 * A host without a port is refused: allowing every port of a host is what let an http node reach
 * DynamoDB Local next to the API.
 */

/** One allowed destination; `host` is normalised as the WHATWG URL parser does (`url.hostname`). */
export interface HttpAllowEntry {
  readonly host: string;
  readonly port: number;
}

/** A malformed allow-list entry; the message names the entry and shows the expected form. */
export class HttpAllowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpAllowError';
  }
}

const FORM = 'host:port, such as localhost:9000, 10.0.0.5:443 or [::1]:8080';

/**
 * Parses one `host:port` entry; throws an `HttpAllowError` that says what to write instead.
 * @example parseHttpAllowEntry('LocalHost:9000') // { host: 'localhost', port: 9000 }
 */
export function parseHttpAllowEntry(raw: string): HttpAllowEntry {
  const entry = raw.trim();
  const match = /^(\[[^\]]*\]|[^:/@?#[\]\s]+):(\d{1,5})$/.exec(entry);
  if (!match) {
    const hint = /^[^:/]+$|^\[[^\]]*\]$/.test(entry)
      ? ' (a port is required: one host may run many services)'
      : '';
    throw new HttpAllowError(`http allow-list entry "${raw}" is not ${FORM}${hint}`);
  }
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) {
    throw new HttpAllowError(`http allow-list entry "${raw}" has port ${port}; a port is 1-65535`);
  }
  let host: string;
  try {
    host = new URL(`http://${match[1]}/`).hostname;
  } catch {
    throw new HttpAllowError(`http allow-list entry "${raw}" does not name a valid host; write ${FORM}`);
  }
  return { host: host.replace(/\.$/, ''), port };
}

/**
 * Parses a list of entries, each of which may itself be comma-separated (`a:1,b:2`); blanks are
 * skipped and duplicates dropped.
 * @example parseHttpAllow(['localhost:9000,127.0.0.1:9001']).length === 2
 */
export function parseHttpAllow(raw: readonly string[]): HttpAllowEntry[] {
  const entries = new Map<string, HttpAllowEntry>();
  for (const part of raw.flatMap((item) => item.split(','))) {
    if (part.trim() === '') continue;
    const entry = parseHttpAllowEntry(part);
    entries.set(formatHttpAllowEntry(entry), entry);
  }
  return [...entries.values()];
}

/** `host:port` again, IPv6 hosts in brackets as written. */
export function formatHttpAllowEntry(entry: HttpAllowEntry): string {
  return `${entry.host}:${entry.port}`;
}

/** The port a URL connects to: its own, else 80 for http and 443 for https. */
export function portOf(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

/** Whether the URL's host and port are on the list (host compared after URL normalisation). */
export function isAllowListed(url: URL, entries: readonly HttpAllowEntry[]): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = portOf(url);
  return entries.some((entry) => entry.host === host && entry.port === port);
}
