import { describe, expect, it } from 'vitest';
import { cronSpecOf, fireTimes, jitterOf, type TriggerBody } from '../../shared/domain/trigger-spec.ts';

const cron = (fields: Partial<TriggerBody>): TriggerBody => ({ type: 'cron', workflow: 'w', ...fields });
const iso = (ms: number) => new Date(ms).toISOString();

describe('cronSpecOf', () => {
  it('accepts five fields (minute first) and six (seconds first), with defaults', () => {
    // Act
    const five = cronSpecOf(cron({ schedule: '0 9 * * 1-5' }));
    const six = cronSpecOf(
      cron({ schedule: '*/2 * * * * *', overlap: 'buffer_one', catchupWindow: '10m', jitter: '5s' }),
    );

    // Assess
    expect(five).toEqual({ expression: '0 9 * * 1-5', overlap: 'skip', catchupWindowMs: 0, jitterMs: 0 });
    expect(six).toMatchObject({ overlap: 'buffer_one', catchupWindowMs: 600_000, jitterMs: 5_000 });
  });

  it.each([
    ['a missing schedule', {}, '$.schedule', 'INVALID_CRON'],
    ['four fields', { schedule: '* * * *' }, '$.schedule', 'INVALID_CRON'],
    ['seven fields', { schedule: '0 0 0 * * * 2026' }, '$.schedule', 'INVALID_CRON'],
    ['a minute of 61', { schedule: '61 * * * *' }, '$.schedule', 'INVALID_CRON'],
    ['words', { schedule: 'every day at noon' }, '$.schedule', 'INVALID_CRON'],
    [
      'an unknown time zone',
      { schedule: '0 9 * * *', timezone: 'Mars/Olympus' },
      '$.timezone',
      'INVALID_TIMEZONE',
    ],
    [
      'a bad catch-up window',
      { schedule: '0 9 * * *', catchupWindow: 'soon' },
      '$.catchupWindow',
      'INVALID_DURATION',
    ],
    ['a bad jitter', { schedule: '0 9 * * *', jitter: '-1s' }, '$.jitter', 'INVALID_DURATION'],
    ['a bad start', { schedule: '0 9 * * *', startAt: 'tomorrow' }, '$.startAt', 'INVALID_TRIGGER'],
    [
      'an end before the start',
      { schedule: '0 9 * * *', startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' },
      '$.endAt',
      'INVALID_TRIGGER',
    ],
  ])('refuses %s with a 422 naming the field', (_name, fields, path, code) => {
    // Act
    const act = () => cronSpecOf(cron(fields as Partial<TriggerBody>));

    // Assess
    expect(act).toThrow(expect.objectContaining({ kind: 'unprocessable', path, code }));
  });
});

describe('fireTimes', () => {
  it('lists six-field times every two seconds', () => {
    // Prepare
    const spec = cronSpecOf(cron({ schedule: '*/2 * * * * *' }));

    // Act
    const times = fireTimes(spec, Date.UTC(2026, 0, 1, 0, 0, 0, 500), 3).map(iso);

    // Assess
    expect(times).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:06.000Z',
    ]);
  });

  it('fires a time in the hour London skips in spring once, not twice', () => {
    // Prepare: 2026-03-29 01:00 GMT the clocks jump to 02:00 BST; 01:30 does not exist that day
    const spec = cronSpecOf(cron({ schedule: '30 1 * * *', timezone: 'Europe/London' }));

    // Act
    const times = fireTimes(spec, Date.UTC(2026, 2, 28, 12), 3).map(iso);

    // Assess
    expect(times).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('fires a time in the hour London repeats in autumn once', () => {
    // Prepare: 2026-10-25 02:00 BST the clocks go back to 01:00 GMT; 01:30 happens twice
    const spec = cronSpecOf(cron({ schedule: '30 1 * * *', timezone: 'Europe/London' }));

    // Act
    const times = fireTimes(spec, Date.UTC(2026, 9, 24, 12), 3).map(iso);

    // Assess
    expect(times).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('keeps 09:00 in New York across the spring change (UTC offset -5 then -4)', () => {
    // Prepare
    const spec = cronSpecOf(cron({ schedule: '0 9 * * *', timezone: 'America/New_York' }));

    // Act
    const times = fireTimes(spec, Date.UTC(2026, 2, 7, 15), 2).map(iso);

    // Assess
    expect(times).toEqual(['2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z']);
  });

  it('fires only between startAt and endAt', () => {
    // Prepare
    const spec = cronSpecOf(
      cron({ schedule: '0 0 * * *', startAt: '2026-02-01T00:00:00Z', endAt: '2026-02-03T00:00:00Z' }),
    );

    // Act
    const times = fireTimes(spec, Date.UTC(2026, 0, 1), 10).map(iso);

    // Assess
    expect(times).toEqual(['2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z']);
  });
});

describe('jitterOf', () => {
  it('gives a firing the same delay every time, within the bound', () => {
    // Act
    const delays = Array.from({ length: 50 }, (_, i) => jitterOf('nightly', i * 1000, 5_000));

    // Assess
    expect(delays.every((d) => d >= 0 && d < 5_000)).toBe(true);
    expect(jitterOf('nightly', 7000, 5_000)).toBe(delays[7]);
    expect(new Set(delays).size).toBeGreaterThan(10);
    expect(jitterOf('nightly', 7000, 0)).toBe(0);
  });
});
