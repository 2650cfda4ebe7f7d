import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard of `http` nodes: a workflow author must not reach the worker's own network (VPC
 * hosts, the instance metadata service, localhost) unless an operator allow-lists the host.
 *
 * Known gap, DNS rebinding: the guard resolves a name once and checks every address, but global
 * `fetch` resolves the name again when it connects, so a resolver that answers a public address
 * first and a private one a moment later gets through. Closing it needs the connection pinned to
 * the checked address, which global `fetch` cannot do without the `undici` package
 * (`dispatcher: new Agent({ connect: { lookup } })`) or a rewrite on `node:http`/`node:https`
 * with a custom `lookup`. Literal IP addresses, redirects and metadata names are fully covered.
 */

/** Resolves a host name to all of its addresses, like `dns.promises.lookup(host, { all: true })`. */
export type Resolver = (host: string) => Promise<readonly { address: string; family: number }[]>;

export type GuardResult =
  | { readonly ok: true; readonly url: URL; readonly address: string; readonly allowListed: boolean }
  | { readonly ok: false; readonly kind: 'forbidden' | 'unresolved'; readonly reason: string };

export interface GuardOptions {
  /** Host names that bypass the guard: `host` (any port) or `host:port`; case-insensitive. */
  readonly allowHosts?: readonly string[];
  /** @default dns.promises.lookup(host, { all: true }) */
  readonly resolver?: Resolver;
}

export const defaultResolver: Resolver = (host) => lookup(host, { all: true });

const FORBIDDEN_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data']);

const forbidden = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, includes the metadata service 169.254.169.254
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3], // multicast, reserved and broadcast
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv4');
}
// Node's BlockList also matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the rules above.
forbidden.addAddress('::', 'ipv6');
forbidden.addAddress('::1', 'ipv6');
forbidden.addSubnet('fc00::', 7, 'ipv6'); // unique-local
forbidden.addSubnet('fe80::', 10, 'ipv6'); // link-local
forbidden.addSubnet('ff00::', 8, 'ipv6'); // multicast

/**
 * Whether an address literal lies in a range an `http` node may not call.
 * @example isForbiddenAddress('169.254.169.254') === true
 */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address: refuse rather than guess
  return forbidden.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const HOW_TO_ALLOW = 'add the host to the allow-list of the http executor if this call is intended';

/**
 * Decides whether `rawUrl` may be called: http(s) only, no private, loopback, link-local,
 * unique-local, CGNAT or metadata address, checked after DNS resolution (every address must pass).
 * The WHATWG URL parser already turns `http://2130706433/` and `http://0x7f.1/` into `127.0.0.1`.
 * @example
 * const verdict = await checkUrl('http://169.254.169.254/latest/meta-data');
 * // { ok: false, kind: 'forbidden', reason: 'the host "169.254.169.254" is ... ' }
 */
export async function checkUrl(rawUrl: string, options: GuardOptions = {}): Promise<GuardResult> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, kind: 'forbidden', reason: `"${rawUrl}" is not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      kind: 'forbidden',
      reason: `the scheme "${url.protocol}" of "${rawUrl}" is not allowed: use http or https`,
    };
  }
  const hostname = url.hostname.toLowerCase();
  if (isAllowListed(url, options.allowHosts ?? [])) {
    return { ok: true, url, address: hostname, allowListed: true };
  }
  const bare = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const refuse = (what: string): GuardResult => ({
    ok: false,
    kind: 'forbidden',
    reason: `the host "${hostname}" ${what}, which http nodes may not call: ${HOW_TO_ALLOW}`,
  });
  if (FORBIDDEN_NAMES.has(bare)) return refuse('is a cloud metadata service');
  if (isIP(bare) !== 0) {
    return isForbiddenAddress(bare)
      ? refuse('is a private, loopback or link-local address')
      : { ok: true, url, address: bare, allowListed: false };
  }
  let addresses: readonly { address: string }[];
  try {
    addresses = await (options.resolver ?? defaultResolver)(bare);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      kind: 'unresolved',
      reason: `the host "${hostname}" could not be resolved: ${message}`,
    };
  }
  const first = addresses[0];
  if (first === undefined) {
    return { ok: false, kind: 'unresolved', reason: `the host "${hostname}" resolved to no address` };
  }
  const bad = addresses.find(({ address }) => isForbiddenAddress(address));
  if (bad !== undefined)
    return refuse(`resolves to ${bad.address}, a private, loopback or link-local address`);
  return { ok: true, url, address: first.address, allowListed: false };
}

function isAllowListed(url: URL, allowHosts: readonly string[]): boolean {
  if (allowHosts.length === 0) return false;
  const hostname = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowHosts.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    return wanted === hostname || wanted === `${hostname}:${port}`;
  });
}
