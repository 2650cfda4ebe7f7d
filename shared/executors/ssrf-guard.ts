import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { type HttpAllowEntry, isAllowListed, portOf } from './http-allow.ts';

/**
 * The SSRF guard of `http` nodes: a workflow author must not reach the worker's own network (VPC
 * hosts, the instance metadata service, localhost, a local store) unless an operator allow-lists
 * the exact `host:port`.
 *
 * Only global unicast addresses pass: IPv4 outside every special range (private, loopback,
 * link-local, CGNAT, "this network", benchmarking, documentation, multicast, reserved, broadcast),
 * IPv6 in 2000::/3 outside its special ranges (Teredo, 6to4, ORCHID, documentation, ...). IPv6
 * forms that embed an IPv4 address are judged by that address where the embedding is fixed
 * (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`) and refused otherwise (IPv4-compatible
 * `::a.b.c.d`, SIIT, local-use NAT64 `64:ff9b:1::/48`, 6to4, Teredo).
 *
 * The guard returns every address it checked; the http executor connects to those and nothing
 * else (a pinned lookup on every request and redirect hop), so DNS rebinding gains nothing.
 */

/** Resolves a host name to all of its addresses, like `dns.promises.lookup(host, { all: true })`. */
export type Resolver = (host: string) => Promise<readonly ResolvedAddress[]>;

export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

export type GuardResult =
  | {
      readonly ok: true;
      readonly url: URL;
      /** The addresses that were checked: the only ones the request may connect to. */
      readonly addresses: readonly ResolvedAddress[];
      readonly allowListed: boolean;
    }
  | {
      readonly ok: false;
      /** `forbidden`: the destination; `invalid`: the URL itself (credentials); `unresolved`: DNS. */
      readonly kind: 'forbidden' | 'invalid' | 'unresolved';
      readonly reason: string;
    };

/** A port nothing may call, whatever the host and the allow-list (local mode: the store, the queue). */
export interface DeniedPort {
  readonly port: number;
  /** What listens there, for the message: `"DynamoDB Local (the local store)"`. */
  readonly what: string;
}

export interface GuardOptions {
  /** `host:port` destinations that bypass the address checks (see `http-allow.ts`). @default [] */
  readonly allow?: readonly HttpAllowEntry[];
  /** Refused on any host, even when allow-listed. @default [] */
  readonly deniedPorts?: readonly DeniedPort[];
  /** @default dns.promises.lookup(host, { all: true }) */
  readonly resolver?: Resolver;
}

const defaultResolver: Resolver = (host) => lookup(host, { all: true });

const FORBIDDEN_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data']);
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Whether an address literal lies outside global unicast space, so an `http` node may not call it.
 * Anything that does not parse as an address is refused rather than guessed at.
 * @example isForbiddenAddress('169.254.169.254') === true
 * @example isForbiddenAddress('::ffff:10.0.0.1') === true
 */
export function isForbiddenAddress(address: string): boolean {
  return rangeOf(address) !== 'public';
}

/**
 * `public`, or the name of the special range an address belongs to (`loopback`, `private`,
 * `teredo`, `ipv4Mapped private`, ...), for messages.
 */
function rangeOf(address: string): string {
  if (isIP(address) === 0) return 'not an address';
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return 'not an address';
  }
  if (ip.kind() === 'ipv4') return v4Range(ip as ipaddr.IPv4);
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return embedded('IPv4-mapped', v6.toIPv4Address());
  if (v6.match(NAT64_WELL_KNOWN)) {
    return embedded('NAT64', new ipaddr.IPv4(v6.toByteArray().slice(12)));
  }
  const range = v6.range();
  if (range !== 'unicast') return range;
  return v6.match(GLOBAL_UNICAST) ? 'public' : 'unallocated or IPv4-compatible';
}

const v4Range = (ip: ipaddr.IPv4): string => (ip.range() === 'unicast' ? 'public' : ip.range());

function embedded(form: string, v4: ipaddr.IPv4): string {
  const range = v4Range(v4);
  return range === 'public' ? 'public' : `${form} ${range}`;
}

const HOW_TO_ALLOW =
  'if this call is intended, allow-list it as host:port (npm start and skein run: --allow-http or SKEIN_HTTP_ALLOW; AWS: -c httpAllow)';

/**
 * Decides whether `rawUrl` may be called: http(s) only, no user name or password in it, no
 * denied port, and every address the host resolves to global unicast, unless the exact
 * `host:port` is allow-listed. The WHATWG URL parser already turns `http://2130706433/` and
 * `http://0x7f.1/` into `127.0.0.1`.
 * @example
 * const verdict = await checkUrl('http://169.254.169.254/latest/meta-data');
 * // { ok: false, kind: 'forbidden', reason: 'the host "169.254.169.254" is in the linkLocal range, ...' }
 */
export async function checkUrl(rawUrl: string, options: GuardOptions = {}): Promise<GuardResult> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, kind: 'forbidden', reason: `"${rawUrl}" is not a valid URL` };
  }
  const forbidden = (reason: string): GuardResult => ({ ok: false, kind: 'forbidden', reason });
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return forbidden(`the scheme "${url.protocol}" of "${rawUrl}" is not allowed: use http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      kind: 'invalid',
      reason:
        'the URL holds a user name or password, which http nodes do not send: pass credentials in a header such as Authorization',
    };
  }
  const hostname = url.hostname.toLowerCase();
  const port = portOf(url);
  const denied = (options.deniedPorts ?? []).find((entry) => entry.port === port);
  if (denied) {
    return forbidden(`port ${port} is ${denied.what}, which http nodes may never call, allow-listed or not`);
  }
  const bare = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const resolver = options.resolver ?? defaultResolver;
  if (isAllowListed(url, options.allow ?? [])) {
    // Still resolved once and pinned: the connection goes where the name pointed when checked.
    const resolved = await resolve(bare, hostname, resolver);
    return 'reason' in resolved ? resolved : { ok: true, url, addresses: resolved, allowListed: true };
  }
  const refuse = (what: string) =>
    forbidden(`the host "${hostname}" ${what}, which http nodes may not call: ${HOW_TO_ALLOW}`);
  if (FORBIDDEN_NAMES.has(bare)) return refuse('is a cloud metadata service');
  if (isIP(bare) !== 0) {
    const range = rangeOf(bare);
    if (range !== 'public') return refuse(`is in the ${range} range`);
    return { ok: true, url, addresses: [{ address: bare, family: isIP(bare) }], allowListed: false };
  }
  const resolved = await resolve(bare, hostname, resolver);
  if ('reason' in resolved) return resolved;
  for (const { address } of resolved) {
    const range = rangeOf(address);
    if (range !== 'public') return refuse(`resolves to ${address}, in the ${range} range`);
  }
  return { ok: true, url, addresses: resolved, allowListed: false };
}

async function resolve(
  bare: string,
  hostname: string,
  resolver: Resolver,
): Promise<readonly ResolvedAddress[] | Extract<GuardResult, { ok: false }>> {
  if (isIP(bare) !== 0) return [{ address: bare, family: isIP(bare) }];
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await resolver(bare);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      kind: 'unresolved',
      reason: `the host "${hostname}" could not be resolved: ${message}`,
    };
  }
  if (addresses.length === 0) {
    return { ok: false, kind: 'unresolved', reason: `the host "${hostname}" resolved to no address` };
  }
  return addresses;
}
