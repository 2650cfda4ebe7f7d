import { describe, expect, it } from 'vitest';
import { FailureLimiter, sourceOf } from '../../shared/api/failure-limiter.ts';
import { FakeClock } from '../../shared/ports/clock.ts';

function limiter(options: { burst?: number; perMinute?: number; maxSources?: number } = {}) {
  const clock = new FakeClock();
  return { clock, limiter: new FailureLimiter(() => clock.now(), options) };
}

describe('FailureLimiter', () => {
  it('lets a source fail `burst` times, then makes it wait for one token', () => {
    // Prepare
    const { limiter: limit } = limiter({ burst: 3, perMinute: 6 });
    // Act
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      waits.push(limit.retryAfter('203.0.113.7'));
      if (waits.at(-1) === 0) limit.fail('203.0.113.7');
    }
    // Assess
    expect(waits).toEqual([0, 0, 0, 10]);
  });

  it('gives tokens back over time, one per 60/perMinute seconds', () => {
    // Prepare
    const { clock, limiter: limit } = limiter({ burst: 2, perMinute: 6 });
    limit.fail('a');
    limit.fail('a');
    // Act
    clock.advance(9_000);
    const early = limit.retryAfter('a');
    clock.advance(1_000);
    const due = limit.retryAfter('a');
    // Assess
    expect(early).toBe(1);
    expect(due).toBe(0);
  });

  it('counts each source on its own', () => {
    // Prepare
    const { limiter: limit } = limiter({ burst: 1 });
    // Act
    limit.fail('a');
    // Assess
    expect(limit.retryAfter('a')).toBeGreaterThan(0);
    expect(limit.retryAfter('b')).toBe(0);
  });

  it('remembers at most maxSources, forgetting the one seen least recently', () => {
    // Prepare
    const { limiter: limit } = limiter({ burst: 1, maxSources: 2 });
    // Act
    limit.fail('a');
    limit.fail('b');
    limit.fail('c');
    // Assess
    expect(limit.size).toBe(2);
    expect([limit.retryAfter('a'), limit.retryAfter('b') > 0, limit.retryAfter('c') > 0]).toEqual([
      0,
      true,
      true,
    ]);
  });

  it('forgets a source once its bucket is full again', () => {
    // Prepare
    const { clock, limiter: limit } = limiter({ burst: 2, perMinute: 2 });
    limit.fail('a');
    // Act
    clock.advance(30_000);
    const wait = limit.retryAfter('a');
    // Assess
    expect(wait).toBe(0);
    expect(limit.size).toBe(0);
  });

  it('refuses a limit that could never let anything through, showing it', () => {
    expect(() => new FailureLimiter(() => 0, { burst: 0 })).toThrow('got {"burst":0}');
  });
});

describe('sourceOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
    ['', 'unknown'],
  ])('counts %j as %j', (address, source) => {
    expect(sourceOf(address)).toBe(source);
  });
});
