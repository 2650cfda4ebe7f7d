import { isIPv4, isIPv6 } from 'node:net';

export interface FailureLimitOptions {
  /** Failed authentications a source may make in a row before it must wait. @default 20 */
  readonly burst?: number;
  /** Failed authentications a source earns back per minute. @default 20 */
  readonly perMinute?: number;
  /** Sources remembered at most; the one seen least recently is forgotten first. @default 10_000 */
  readonly maxSources?: number;
}

export const DEFAULT_FAILURE_LIMIT = { burst: 20, perMinute: 20, maxSources: 10_000 } as const;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket of failed authentications per source (a client address): each failure takes a
 * token, tokens come back at `perMinute`, and a source without a token must wait. It lives in
 * memory, so it is per process (per Lambda instance on AWS), and its memory is bounded by
 * `maxSources` (least recently seen sources are dropped, full buckets are dropped when read).
 * @example
 * const limiter = new FailureLimiter(clock.now);
 * if (limiter.retryAfter(source) > 0) return tooManyRequests();
 * if (!(await resolve(key))) limiter.fail(source);
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perMs: number;
  private readonly maxSources: number;

  constructor(
    private readonly now: () => number,
    options: FailureLimitOptions = {},
  ) {
    this.burst = options.burst ?? DEFAULT_FAILURE_LIMIT.burst;
    this.perMs = (options.perMinute ?? DEFAULT_FAILURE_LIMIT.perMinute) / 60_000;
    this.maxSources = options.maxSources ?? DEFAULT_FAILURE_LIMIT.maxSources;
    if (!(this.burst >= 1 && this.perMs > 0 && this.maxSources >= 1)) {
      throw new Error(
        `a failure limit needs burst ≥ 1, perMinute > 0, maxSources ≥ 1, got ${JSON.stringify(options)}`,
      );
    }
  }

  /** Seconds `source` must wait before it may try a key again; 0 when it may try now. */
  retryAfter(source: string): number {
    const bucket = this.refilled(source);
    if (bucket === undefined) return 0;
    if (bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Counts one failed authentication of `source`. */
  fail(source: string): void {
    const bucket = this.refilled(source) ?? { tokens: this.burst, at: this.now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.delete(source);
    this.buckets.set(source, bucket);
    if (this.buckets.size > this.maxSources) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }

  /** Sources currently remembered (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(source: string): Bucket | undefined {
    const bucket = this.buckets.get(source);
    if (bucket === undefined) return undefined;
    const now = this.now();
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= this.burst) {
      this.buckets.delete(source);
      return undefined;
    }
    return bucket;
  }
}

/**
 * The rate-limiting source of a client address: IPv4 as is (also when mapped into IPv6), IPv6 by
 * its /64 network (one host usually owns a whole /64, so counting single IPv6 addresses would
 * let it rotate through them), `unknown` when there is no address.
 * @example sourceOf('2001:db8:1:2:3:4:5:6') === '2001:db8:1:2::/64'
 */
export function sourceOf(address: string | undefined): string {
  const trimmed = address?.trim().replace(/%.*$/, '') ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (isIPv4(trimmed)) return trimmed;
  if (!isIPv6(trimmed)) return trimmed === '' ? 'unknown' : trimmed.toLowerCase();
  const [head = '', tail] = trimmed.toLowerCase().split('::');
  const groups = (part: string | undefined) =>
    part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : [];
  const before = groups(head);
  const after = groups(tail);
  const full =
    tail === undefined ? before : [...before, ...Array(8 - before.length - after.length).fill('0'), ...after];
  return `${full
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
