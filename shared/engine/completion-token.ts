import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The sha256 (hex) of a completion token: what a node waiting for a completion keeps to check one.
 * @example hashToken('abc').length // 64
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Whether `token` is the one whose hash is `expectedHash`, in time that does not depend on where
 * they differ (both sides are 32-byte digests). False when there is no expected hash.
 */
export function tokenMatches(token: string, expectedHash: string | undefined): boolean {
  const given = createHash('sha256').update(token, 'utf8').digest();
  const expected = Buffer.from(expectedHash ?? '', 'hex');
  // Compare with a digest of the same length either way, so a missing hash takes the same time.
  const against = expected.length === given.length ? expected : Buffer.alloc(given.length);
  return timingSafeEqual(given, against) && expected.length === given.length;
}
