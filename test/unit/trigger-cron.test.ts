import { describe, expect, it } from 'vitest';
import { CronScheduler } from '../../shared/adapters/cron-scheduler.ts';
import { backfill, tickCron } from '../../shared/engine/triggers/cron-tick.ts';
import { fireCron } from '../../shared/engine/triggers/fire.ts';
import type { OverlapPolicy } from '../../shared/ports/trigger-store.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { triggerHarness } from './trigger-fixtures.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('tickCron', () => {
  it('starts one run per scheduled time, recording the trigger and the time on the run', async () => {
    // Prepare
    const { harness, deps, put, runsOf, events } = await triggerHarness();
    await put('every2s', {
      type: 'cron',
      workflow: 'hello',
      schedule: '*/2 * * * * *',
      overlap: 'allow_all',
      inputs: { name: '{% $inputs.scheduledAt %}' },
    });

    // Act
    harness.clock.advance(4_100);
    const { fired, wakeAt } = await tickCron(deps, TENANT, 'every2s');

    // Assess
    expect(fired.map((f) => f.outcome)).toEqual(['started', 'started']);
    expect(wakeAt).toBe(T0 + 6_000);
    const runs = await runsOf();
    expect(runs).toHaveLength(2);
    const run = await harness.engine.getRun(TENANT, fired[0]?.runId ?? '');
    expect(run.trigger).toEqual({ triggerId: 'every2s', scheduledAt: '2026-01-01T00:00:02.000Z' });
    expect(run.inputs).toEqual({ name: '2026-01-01T00:00:02.000Z' });
    expect(run.idempotencyKey).toBe('trg/every2s/2026-01-01T00:00:02.000Z');
    expect(events.filter((e) => e.type === 'trigger.fired').map((e) => e.scheduledAt)).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
    ]);
  });

  it('never starts two runs for one scheduled time, however often it fires', async () => {
    // Prepare
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '*/2 * * * * *', overlap: 'allow_all' });
    harness.clock.advance(2_000);

    // Act
    const results = await Promise.all([
      fireCron(deps, TENANT, 't', T0 + 2_000),
      fireCron(deps, TENANT, 't', T0 + 2_000),
      tickCron(deps, TENANT, 't'),
    ]);

    // Assess
    const runIds = new Set([results[0].runId, results[1].runId, results[2].fired[0]?.runId].filter(Boolean));
    expect(runIds.size).toBe(1);
    expect(await runsOf()).toHaveLength(1);
  });

  it('records a firing whose run cannot start as failed, with trigger.failed and the error', async () => {
    // Prepare: a version that does not exist
    const { harness, deps, put, events } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', version: '9.9.9', schedule: '*/2 * * * * *' });
    harness.clock.advance(2_000);

    // Act
    const { fired } = await tickCron(deps, TENANT, 't');

    // Assess
    expect(fired.map((f) => f.outcome)).toEqual(['failed']);
    const failed = events.find((e) => e.type === 'trigger.failed');
    expect(failed).toMatchObject({ triggerId: 't', runId: '', error: { code: 'NOT_FOUND' } });
    const [firing] = await deps.triggers.firings(TENANT, 't');
    expect(firing).toMatchObject({ outcome: 'failed', error: { code: 'NOT_FOUND' } });
  });

  it('does not fire a paused trigger', async () => {
    // Prepare
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '*/2 * * * * *', enabled: false });

    // Act
    harness.clock.advance(10_000);
    const { fired } = await tickCron(deps, TENANT, 't');

    // Assess
    expect(fired).toEqual([]);
    expect(await runsOf()).toHaveLength(0);
  });

  it('catches up firings missed within catchupWindow after a restart, and passes over older ones', async () => {
    // Prepare: every minute; the process was down for 10 minutes
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', {
      type: 'cron',
      workflow: 'hello',
      schedule: '* * * * *',
      catchupWindow: '3m',
      overlap: 'allow_all',
    });

    // Act
    harness.clock.advance(10 * 60_000 + 30_000);
    const { fired } = await tickCron(deps, TENANT, 't');

    // Assess: 00:08, 00:09, 00:10 are within 3 minutes of 00:10:30
    expect((await runsOf()).map((r) => r.trigger?.scheduledAt).sort()).toEqual([
      '2026-01-01T00:08:00.000Z',
      '2026-01-01T00:09:00.000Z',
      '2026-01-01T00:10:00.000Z',
    ]);
    expect(fired).toHaveLength(3);
  });

  it('without a catch-up window fires only what is late by less than the grace', async () => {
    // Prepare
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '* * * * *', overlap: 'allow_all' });

    // Act
    harness.clock.advance(10 * 60_000 + 5_000);
    await tickCron(deps, TENANT, 't');

    // Assess
    expect((await runsOf()).map((r) => r.trigger?.scheduledAt)).toEqual(['2026-01-01T00:10:00.000Z']);
  });

  it('waits for a firing’s jitter, the same delay every time', async () => {
    // Prepare
    const { harness, deps, put } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '0 * * * *', jitter: '10m' });

    // Act
    const first = await tickCron(deps, TENANT, 't');
    harness.clock.set(first.wakeAt ?? 0);
    const second = await tickCron(deps, TENANT, 't');

    // Assess
    expect(first.wakeAt).toBeGreaterThan(T0 + 3_600_000);
    expect(first.wakeAt).toBeLessThan(T0 + 3_600_000 + 600_000);
    expect(second.fired.map((f) => f.outcome)).toEqual(['started']);
  });
});

describe('overlap policies', () => {
  /** Three firings two seconds apart while the first run stays active (a callback waits). */
  async function threeFirings(overlap: OverlapPolicy) {
    const h = await triggerHarness();
    await h.put('t', { type: 'cron', workflow: 'slow', schedule: '*/2 * * * * *', overlap });
    const outcomes: string[] = [];
    for (let i = 1; i <= 3; i++) {
      h.harness.clock.set(T0 + i * 2_000);
      const { fired } = await tickCron(h.deps, TENANT, 't');
      outcomes.push(...fired.map((f) => f.outcome));
    }
    return { ...h, outcomes };
  }

  it('skip: starts nothing while the previous run is active', async () => {
    const { outcomes, runsOf } = await threeFirings('skip');
    expect(outcomes).toEqual(['started', 'skipped', 'skipped']);
    expect(await runsOf()).toHaveLength(1);
  });

  it('allow_all: starts every firing', async () => {
    const { outcomes, runsOf } = await threeFirings('allow_all');
    expect(outcomes).toEqual(['started', 'started', 'started']);
    expect(await runsOf()).toHaveLength(3);
  });

  it('cancel_other: cancels the active run and starts the new one', async () => {
    const { outcomes, runsOf } = await threeFirings('cancel_other');
    expect(outcomes).toEqual(['started', 'started', 'started']);
    const runs = await runsOf();
    expect(runs.filter((r) => r.status === 'CANCELLED')).toHaveLength(2);
    expect(runs.filter((r) => r.status === 'RUNNING')).toHaveLength(1);
  });

  it('buffer_one: keeps one firing and starts it once the active run ends', async () => {
    // Prepare
    const { outcomes, runsOf, harness, deps } = await threeFirings('buffer_one');
    expect(outcomes).toEqual(['started', 'buffered', 'skipped']);
    const [first] = await runsOf();
    await harness.engine.cancel(TENANT, first?.runId ?? '');

    // Act
    const { fired } = await tickCron(deps, TENANT, 't');

    // Assess
    expect(fired[0]).toMatchObject({ outcome: 'started', key: 'trg/t/2026-01-01T00:00:04.000Z' });
    expect(await runsOf()).toHaveLength(2);
  });

  it('buffer_all: keeps every firing and starts them one at a time', async () => {
    // Prepare
    const { outcomes, runsOf, harness, deps } = await threeFirings('buffer_all');
    expect(outcomes).toEqual(['started', 'buffered', 'buffered']);

    // Act: end the active run twice, ticking after each
    for (let i = 0; i < 2; i++) {
      const active = (await runsOf()).find((r) => r.status === 'RUNNING');
      await harness.engine.cancel(TENANT, active?.runId ?? '');
      await tickCron(deps, TENANT, 't');
    }

    // Assess
    expect((await runsOf()).map((r) => r.trigger?.scheduledAt).sort()).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:06.000Z',
    ]);
  });
});

describe('backfill', () => {
  it('replays each scheduled time of a range once, even when asked twice', async () => {
    // Prepare
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '*/10 * * * *' });
    harness.clock.advance(3_600_000);
    const range = { from: '2026-01-01T00:05:00Z', to: '2026-01-01T00:30:00Z' };

    // Act
    const first = await backfill(deps, TENANT, 't', range);
    const again = await backfill(deps, TENANT, 't', range);

    // Assess
    expect(first.map((f) => f.outcome)).toEqual(['started', 'started', 'started']);
    expect(again.map((f) => f.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(await runsOf()).toHaveLength(3);
  });

  it('refuses a range that reaches into the future', async () => {
    const { deps, put } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '*/10 * * * *' });
    await expect(
      backfill(deps, TENANT, 't', { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({
      code: 'INVALID_RANGE',
      path: '$.to',
    });
  });
});

describe('CronScheduler', () => {
  it('arms enabled cron triggers on start and fires them as the fake clock moves', async () => {
    // Prepare
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '*/2 * * * * *', overlap: 'allow_all' });
    const timers: number[] = [];
    const scheduler = new CronScheduler({
      deps: () => deps,
      setTimer: (_run, ms) => timers.push(ms),
      clearTimer: () => {},
    });
    await scheduler.start();

    // Act
    for (let i = 0; i < 3; i++) {
      harness.clock.advance(2_000);
      await scheduler.runDue();
    }

    // Assess
    expect(timers[0]).toBe(2_000);
    expect(await runsOf()).toHaveLength(3);
    expect(scheduler.wakeTimes()[`${TENANT}/t`]).toBe(T0 + 8_000);
    scheduler.stop();
  });

  it('catches up after a restart: a new scheduler on the same store fires what was missed within the window', async () => {
    // Prepare: every minute, 2-minute catch-up window; the first process stops after one firing
    const { harness, deps, put, runsOf } = await triggerHarness();
    await put('t', {
      type: 'cron',
      workflow: 'hello',
      schedule: '* * * * *',
      catchupWindow: '2m',
      overlap: 'allow_all',
    });
    const before = new CronScheduler({ deps: () => deps, setTimer: () => 0, clearTimer: () => {} });
    await before.start();
    harness.clock.advance(60_000);
    await before.runDue();
    before.stop();

    // Act: down until 00:06:30, then a new process starts
    harness.clock.set(T0 + 6 * 60_000 + 30_000);
    const after = new CronScheduler({ deps: () => deps, setTimer: () => 0, clearTimer: () => {} });
    await after.start();

    // Assess: 00:01 before the stop; 00:05 and 00:06 caught up; 00:02 to 00:04 passed over
    expect((await runsOf()).map((r) => r.trigger?.scheduledAt).sort()).toEqual([
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:06:00.000Z',
    ]);
    expect(after.wakeTimes()[`${TENANT}/t`]).toBe(T0 + 7 * 60_000);
    after.stop();
  });

  it('forgets a trigger that is removed or paused', async () => {
    // Prepare
    const { deps, put } = await triggerHarness();
    await put('t', { type: 'cron', workflow: 'hello', schedule: '*/2 * * * * *' });
    const scheduler = new CronScheduler({ deps: () => deps, setTimer: () => 0, clearTimer: () => {} });
    await scheduler.start();

    // Act
    await scheduler.put({ tenant: TENANT, triggerId: 't', expression: '*/2 * * * * *', enabled: false });

    // Assess
    expect(scheduler.wakeTimes()).toEqual({});
  });
});
