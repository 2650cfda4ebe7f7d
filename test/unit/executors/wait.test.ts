import { describe, expect, it } from 'vitest';
import { WaitExecutor, type WaitNode, waitUntil } from '../../../shared/executors/wait.ts';

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
  it('fails without retry because the engine schedules wait nodes itself', async () => {
    // Prepare
    const executor = new WaitExecutor();
    const node: WaitNode = { type: 'wait', with: { seconds: 1 } };

    // Act
    const result = await executor.execute();

    // Assess
    expect(executor.type).toBe('wait');
    expect(node.type).toBe(executor.type);
    expect(result).toEqual({
      kind: 'failed',
      error: {
        code: 'WAIT_NOT_SCHEDULED',
        message: 'wait nodes are scheduled by the engine, not executed',
        retryable: false,
      },
    });
  });
});
