import { describe, expect, it } from 'vitest';
import { WaitExecutor, type WaitNode, waitUntil } from '../../../shared/executors/wait.ts';
import { testContext } from './test-context.ts';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('waitUntil', () => {
  it.each([
    ['seconds', { seconds: 90 }, now + 90_000],
    ['zero seconds', { seconds: 0 }, now],
    ['a duration', { duration: '5m' }, now + 300_000],
    ['a fractional duration', { duration: '1.5h' }, now + 5_400_000],
    ['a future time', { until: '2026-01-02T12:00:00Z' }, now + 86_400_000],
    ['a future time with an offset', { until: '2026-01-01T14:30:00+02:00' }, now + 30 * 60_000],
    ['a time in the past, resuming at once', { until: '2025-06-01T00:00:00.000Z' }, now],
  ])('resumes after %s', (_what, inputs, resumeAt) => {
    // Act
    const plan = waitUntil(inputs, now);

    // Assess
    expect(plan).toEqual({ ok: true, resumeAt });
  });

  it.each([
    ['nothing is set', undefined, 'got none'],
    ['two forms are set', { seconds: 1, duration: '1s' }, 'got with.seconds and with.duration'],
    ['seconds are negative', { seconds: -1 }, 'with.seconds'],
    ['seconds are a string', { seconds: '10' }, 'with.seconds'],
    ['seconds are not finite', { seconds: Number.POSITIVE_INFINITY }, 'with.seconds'],
    ['the duration does not parse', { duration: 'soon' }, 'with.duration'],
    ['the duration is negative', { duration: '-5m' }, 'with.duration'],
    ['until has no zone', { until: '2026-01-02T12:00:00' }, 'with.until'],
    ['until is not a time', { until: 'tomorrow' }, 'with.until'],
    ['until is a number', { until: 1_767_000_000_000 }, 'with.until'],
  ])('refuses a wait when %s', (_what, inputs, field) => {
    // Act
    const plan = waitUntil(inputs, now);

    // Assess
    expect(plan).toMatchObject({ ok: false, error: { code: 'WAIT_INVALID', retryable: false } });
    expect(plan.ok || plan.error.message).toContain(field);
  });
});

describe('WaitExecutor', () => {
  const executor = new WaitExecutor();
  const node: WaitNode = { type: 'wait', with: { seconds: 1 } };

  it('declares an inline kind that suspends', () => {
    // Assess
    expect([executor.type, executor.inline, executor.suspends]).toEqual(['wait', true, true]);
  });

  it('suspends until the time its inputs name', async () => {
    // Act
    const result = await executor.execute({ node, inputs: { duration: '5m' }, ctx: testContext({ now }) });

    // Assess
    expect(result).toEqual({ kind: 'suspend-until', at: now + 300_000 });
  });

  it('succeeds at once, with the time, when the time has passed', async () => {
    // Act
    const result = await executor.execute({
      node,
      inputs: { until: '2025-06-01T00:00:00Z' },
      ctx: testContext({ now }),
    });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: { resumedAt: '2026-01-01T12:00:00.000Z' } });
  });

  it('succeeds when the claim woke it, whatever its inputs say', async () => {
    // Act
    const result = await executor.execute({
      node,
      inputs: { duration: '5m' },
      ctx: testContext({ now: now + 300_000, wakeAt: '2026-01-01T12:05:00.000Z' }),
    });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: { resumedAt: '2026-01-01T12:05:00.000Z' } });
  });

  it('fails for good, whatever the retry policy, when its inputs name no time', async () => {
    // Act
    const result = await executor.execute({ node, inputs: {}, ctx: testContext({ now }) });

    // Assess
    expect(result).toMatchObject({
      kind: 'failed',
      final: true,
      error: { code: 'WAIT_INVALID', retryable: false },
    });
  });
});
