import { formatHttpAllowEntry, parseHttpAllow } from '../../shared/executors/http-allow.ts';
import type { DeniedPort } from '../../shared/executors/ssrf-guard.ts';

/** What the http executor of a local runtime gets: its allow-list and the ports it never calls. */
export interface LocalHttpPolicy {
  readonly allow: readonly string[];
  readonly deniedPorts: readonly DeniedPort[];
  /** One line per allow-list entry that was dropped, and why: print them at start-up. */
  readonly notices: readonly string[];
}

/**
 * Local mode's http policy. DynamoDB Local and fauxqs check no credentials, so an http node that
 * reached them could read every tenant's data and write itself an API key: their ports are denied
 * on every host, and an allow-list entry naming one of them is dropped with a notice.
 * @example localHttpPolicy(['localhost:9000'], [{ port: 8000, what: 'DynamoDB Local (the local store)' }])
 */
export function localHttpPolicy(allow: readonly string[], services: readonly DeniedPort[]): LocalHttpPolicy {
  const kept: string[] = [];
  const notices: string[] = [];
  for (const entry of parseHttpAllow(allow)) {
    const service = services.find((candidate) => candidate.port === entry.port);
    if (service) {
      notices.push(
        `http allow-list entry ${formatHttpAllowEntry(entry)} ignored: port ${entry.port} is ${service.what}, which http nodes may never call`,
      );
    } else {
      kept.push(formatHttpAllowEntry(entry));
    }
  }
  return { allow: kept, deniedPorts: services, notices };
}

/** The port of a local service's endpoint URL, as a denied port named `what`. */
export function servicePort(endpoint: string, what: string): DeniedPort {
  const url = new URL(endpoint);
  return { port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), what };
}

export const STORE = 'DynamoDB Local (the local store)';
export const QUEUE = 'fauxqs (the local queue)';
