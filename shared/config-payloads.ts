/**
 * The part of the configuration (`config.ts`) about large payloads: the threshold over which a
 * value leaves its run item for the payload bucket. Like `config.ts`, the only place that reads
 * its variable; the bucket's name is `awsConfig().payloadBucket`.
 */
import { ENV } from './config.ts';

/** The default payload threshold: JSON text over 64 KB leaves the run item. */
export const DEFAULT_PAYLOAD_THRESHOLD_BYTES = 64 * 1024;
/**
 * The largest threshold: a value kept in an item must leave room for the item's other fields
 * under DynamoDB's 400 KB.
 */
export const MAX_PAYLOAD_THRESHOLD_BYTES = 300 * 1024;

/**
 * `SKEIN_PAYLOAD_THRESHOLD_BYTES` as a whole number of bytes from 0 to 307,200 (0: every value is
 * offloaded), 65,536 when unset; anything else throws naming the variable.
 * @example payloadThresholdFrom({ SKEIN_PAYLOAD_THRESHOLD_BYTES: '16384' }) // 16384
 */
export function payloadThresholdFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[ENV.payloadThresholdBytes];
  if (raw === undefined || raw === '') return DEFAULT_PAYLOAD_THRESHOLD_BYTES;
  const bytes = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || bytes > MAX_PAYLOAD_THRESHOLD_BYTES) {
    throw new Error(
      `${ENV.payloadThresholdBytes} must be a whole number of bytes from 0 to ${MAX_PAYLOAD_THRESHOLD_BYTES}, got "${raw}"`,
    );
  }
  return bytes;
}
