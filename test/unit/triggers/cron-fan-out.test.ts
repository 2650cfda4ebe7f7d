import { describe, expect, it } from 'vitest';
import { type CronFiring, cronFiringSchema, fanOutSeconds } from '../../../shared/domain/cron-fan-out.ts';

const minute = '2026-01-01T10:05:00Z';
const firing = (seconds?: string): CronFiring => ({
  kind: 'cron',
  tenant: 'acme',
  triggerId: 'tick',
  scheduledAt: minute,
  ...(seconds !== undefined && { seconds }),
});
const at = (second: number) => Date.parse(minute) + second * 1000;

describe('fanOutSeconds', () => {
  it('fires */10 six times in the minute, each delayed to its second', () => {
    // Act
    const out = fanOutSeconds(firing('*/10'), at(0));
    // Assess
    expect(out.map((one) => one.delaySeconds)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(out.map((one) => one.firing.scheduledAt)).toEqual(
      [0, 10, 20, 30, 40, 50].map((s) => new Date(at(s)).toISOString()),
    );
    for (const one of out) expect(one.firing).not.toHaveProperty('seconds');
  });

  it('counts the delay from now, so a message that arrived 3 s late still fires on the second', () => {
    // Act
    const out = fanOutSeconds(firing('0,30'), at(3) + 200);
    // Assess
    expect(out.map((one) => [one.firing.scheduledAt, one.delaySeconds])).toEqual([
      ['2026-01-01T10:05:00.000Z', 0],
      ['2026-01-01T10:05:30.000Z', 27],
    ]);
  });

  it('fires a redelivered message at once, each firing keeping the second it was due', () => {
    // Act
    const out = fanOutSeconds(firing('15-17'), at(600));
    // Assess
    expect(out).toEqual(
      [15, 16, 17].map((s) => ({
        firing: { ...firing(), scheduledAt: new Date(at(s)).toISOString() },
        delaySeconds: 0,
      })),
    );
  });

  it.each([
    ['*', 60],
    ['*/10', 6],
    ['0', 1],
    ['5-59/20', 3],
    ['0-9', 10],
    ['1,2,59', 3],
  ])('fires %j %i times a minute', (seconds, count) => {
    // Act / Assess
    expect(fanOutSeconds(firing(seconds), at(0))).toHaveLength(count);
  });

  it('returns a firing without seconds as is, undelayed', () => {
    // Act / Assess
    expect(fanOutSeconds(firing(), at(0))).toEqual([{ firing: firing(), delaySeconds: 0 }]);
  });

  it('stays within the minute of scheduledAt even when it is not a whole minute', () => {
    // Act
    const out = fanOutSeconds({ ...firing('*/30'), scheduledAt: '2026-01-01T10:05:42Z' }, at(0));
    // Assess
    expect(out.map((one) => one.firing.scheduledAt)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:05:30.000Z',
    ]);
  });
});

describe('cronFiringSchema', () => {
  it('accepts what Scheduler sends, with and without seconds', () => {
    expect(cronFiringSchema.safeParse(firing('*/10')).success).toBe(true);
    expect(cronFiringSchema.safeParse({ ...firing(), scheduledAt: '2026-01-01T10:05:00.000Z' }).success).toBe(
      true,
    );
  });

  it.each([
    ['another kind', { ...firing(), kind: 'event' }],
    ['no tenant', { ...firing(), tenant: '' }],
    ['a time that is not one', { ...firing(), scheduledAt: '<aws.scheduler.scheduled-time>' }],
    ['an unknown field', { ...firing(), extra: 1 }],
  ])('refuses %s', (_what, body) => {
    expect(cronFiringSchema.safeParse(body).success).toBe(false);
  });
});
