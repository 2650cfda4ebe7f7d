import { readFileSync } from 'node:fs';

/**
 * The local addresses of the TCP sockets listening on `port`, read from Linux's /proc/net/tcp and
 * tcp6 (no connection is made, so nothing is sent to a non-loopback address). IPv4-mapped IPv6
 * listeners (Java's dual-stack sockets) are given as `::ffff:a.b.c.d`.
 * @example listenAddresses(8080) // ['127.0.0.1']
 */
export function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || local === undefined) continue; // 0A: LISTEN
      const [address, hexPort] = local.split(':');
      if (address !== undefined && Number.parseInt(hexPort ?? '', 16) === port) found.push(decode(address));
    }
  }
  return found;
}

/** Loopback addresses as listenAddresses writes them. */
export const isLoopback = (address: string) =>
  /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);

/** /proc/net/tcp writes an IPv4 address as one little-endian 32-bit hex word. */
function ipv4(hex: string): string {
  const bytes = hex.match(/../g)?.map((byte) => Number.parseInt(byte, 16)) ?? [];
  return bytes.reverse().join('.');
}

/** Four little-endian 32-bit words; an IPv4-mapped address comes back as ::ffff:a.b.c.d. */
function ipv6(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)),
  );
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
