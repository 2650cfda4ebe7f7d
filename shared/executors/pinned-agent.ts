import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import type { ResolvedAddress } from './ssrf-guard.ts';

/**
 * A DNS lookup that answers only with addresses the SSRF guard has already checked, whatever the
 * name: the connection cannot go anywhere else, however the name resolves a moment later (DNS
 * rebinding). Honours `all` (happy eyeballs asks for every address) and `family`.
 * @example net.connect({ host: 'api.example.com', port: 443, lookup: pinnedLookup(verdict.addresses) })
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable: LookupAddress[] = addresses
      .filter((entry) => family === undefined || entry.family === family)
      .map(({ address, family: of }) => ({ address, family: of }));
    const [first] = usable;
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`no checked IPv${family} address for ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, '');
    } else if (options.all) {
      callback(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

/**
 * An undici dispatcher for one request hop that connects only to `addresses`. Its own pool, so no
 * connection made for another hop or host is reused; `close()` or `destroy()` it after the body.
 */
export function pinnedAgent(addresses: readonly ResolvedAddress[]): Agent {
  return new Agent({ connect: { lookup: pinnedLookup(addresses) } });
}
