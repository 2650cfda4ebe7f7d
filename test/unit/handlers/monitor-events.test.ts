import { describe, expect, it } from 'vitest';
import { eventsOf, type ItemChange, MAX_ERROR_MESSAGE, severityOf } from '../../../shared/monitor/events.ts';
import { metricsOf } from '../../../shared/monitor/metrics.ts';
import { CREATED, nodeAt, RUN_ID, runAt } from './run-items.ts';

const at = '2026-01-01T12:00:09.000Z';
const ENDED = '2026-01-01T12:00:05.500Z';
/** A change as the DynamoDB adapter makes it: the kind from the images' sort key (test items carry one). */
const change = (eventName: ItemChange['eventName'], oldImage?: object, newImage?: object): ItemChange => ({
  kind: ((newImage ?? oldImage) as { sk?: string } | undefined)?.sk === 'RUN' ? 'run' : 'node',
  eventName,
  at,
  ...(oldImage && { oldImage: oldImage as ItemChange['oldImage'] }),
  ...(newImage && { newImage: newImage as ItemChange['newImage'] }),
});
const runContext = { tenant: 'acme', workflow: 'orders', version: '1.2.0', runId: RUN_ID };

describe('events of run items', () => {
  it('makes run.started of an inserted run, at its creation', () => {
    // Act
    const events = eventsOf(change('INSERT', undefined, runAt('RUNNING')));

    // Assess
    expect(events).toEqual([{ type: 'run.started', severity: 'info', ...runContext, time: CREATED }]);
  });

  it('names the trigger that started the run on its run events, so subscriptions can filter on it', () => {
    // Prepare
    const trigger = { triggerId: 'nightly', scheduledAt: '2026-01-01T00:00:00.000Z' };

    // Act
    const events = eventsOf(change('INSERT', undefined, runAt('RUNNING', { trigger })));

    // Assess
    expect(events).toEqual([
      { type: 'run.started', severity: 'info', ...runContext, trigger: 'nightly', time: CREATED },
    ]);
  });

  it('makes run.failed with the error and the duration from creation to end', () => {
    // Prepare
    const error = { code: 'HTTP_500', message: 'upstream failed', nodeId: 'charge' };

    // Act
    const events = eventsOf(
      change('MODIFY', runAt('RUNNING'), runAt('FAILED', { failed: true, error, endedAt: ENDED })),
    );

    // Assess
    expect(events).toEqual([
      { type: 'run.failed', severity: 'error', ...runContext, time: ENDED, error, durationMs: 5_500 },
    ]);
  });

  it.each([
    ['RUNNING', 'PAUSED', 'run.paused', 'info'],
    ['PAUSED', 'RUNNING', 'run.resumed', 'info'],
    ['RUNNING', 'SUCCEEDED', 'run.succeeded', 'info'],
    ['PAUSED', 'CANCELLED', 'run.cancelled', 'info'],
    ['RUNNING', 'TIMED_OUT', 'run.timed_out', 'error'],
  ] as const)('makes one event of a run going from %s to %s: %s', (from, to, type, severity) => {
    // Act
    const events = eventsOf(change('MODIFY', runAt(from), runAt(to)));

    // Assess
    expect(events).toMatchObject([{ type, severity }]);
  });

  it.each([
    [
      'an update without a status change',
      change('MODIFY', runAt('RUNNING'), runAt('RUNNING', { failed: true })),
    ],
    ['a retry reopening a failed run', change('MODIFY', runAt('FAILED'), runAt('RUNNING', { epoch: 1 }))],
    ['a removal by TTL', change('REMOVE', runAt('SUCCEEDED'))],
  ])('makes no event of %s', (_what, item) => {
    // Act
    const events = eventsOf(item);

    // Assess
    expect(events).toEqual([]);
  });
});

describe('events of node items', () => {
  it('makes node.started of a claim, at its start, without run context', () => {
    // Act
    const events = eventsOf(change('MODIFY', nodeAt('charge', undefined), nodeAt('charge', 'RUNNING')));

    // Assess
    expect(events).toEqual([
      {
        type: 'node.started',
        severity: 'info',
        runId: RUN_ID,
        nodeId: 'charge',
        time: '2026-01-01T12:00:01.000Z',
        attempt: 1,
      },
    ]);
  });

  it('makes node.succeeded with the duration over all attempts', () => {
    // Act
    const events = eventsOf(
      change(
        'MODIFY',
        nodeAt('charge', 'RUNNING'),
        nodeAt('charge', 'SUCCEEDED', { endedAt: ENDED, outputJson: '{}' }),
      ),
    );

    // Assess
    expect(events).toEqual([
      {
        type: 'node.succeeded',
        severity: 'info',
        runId: RUN_ID,
        nodeId: 'charge',
        time: ENDED,
        attempt: 1,
        durationMs: 4_500,
      },
    ]);
  });

  it('makes node.retrying, a warning, with the error of the failed attempt', () => {
    // Prepare
    const error = { code: 'TIMEOUT', message: 'x'.repeat(5_000) };

    // Act
    const [event] = eventsOf(
      change('MODIFY', nodeAt('charge', 'RUNNING'), nodeAt('charge', 'RETRY_WAIT', { error, wakeAt: ENDED })),
    );

    // Assess
    expect(event).toMatchObject({ type: 'node.retrying', severity: 'warning', attempt: 1, time: at });
    expect(event?.error?.message).toHaveLength(MAX_ERROR_MESSAGE);
  });

  it('makes node.started again for the next attempt, but not when a wait resumes', () => {
    // Act
    const retried = eventsOf(
      change('MODIFY', nodeAt('charge', 'RETRY_WAIT'), nodeAt('charge', 'RUNNING', { attempt: 2 })),
    );
    const resumed = eventsOf(
      change('MODIFY', nodeAt('pause', 'WAITING'), nodeAt('pause', 'RUNNING', { attempt: 2 })),
    );

    // Assess
    expect(retried).toMatchObject([{ type: 'node.started', attempt: 2, time: at }]);
    expect(resumed).toEqual([]);
  });

  it.each([
    ['FAILED', { error: { code: 'E', message: 'm' } }, { type: 'node.failed', severity: 'error' }],
    ['SKIPPED', { reason: '`when` is false' }, { type: 'node.skipped', reason: '`when` is false' }],
  ])('makes an event of a node ending %s', (status, extra, expected) => {
    // Act
    const events = eventsOf(change('MODIFY', nodeAt('n', 'RUNNING'), nodeAt('n', status, extra)));

    // Assess
    expect(events).toMatchObject([expected]);
  });

  it.each(['CANCELLED', 'PARKED', 'READY', 'WAITING'])('makes no event of a node going %s', (status) => {
    // Act
    const events = eventsOf(change('MODIFY', nodeAt('n', 'RUNNING'), nodeAt('n', status)));

    // Assess
    expect(events).toEqual([]);
  });
});

describe('severities and metrics', () => {
  it('grades failures and time-outs error, retries warning, the rest info', () => {
    // Act
    const grades = (
      ['run.failed', 'node.failed', 'run.timed_out', 'node.retrying', 'run.paused'] as const
    ).map(severityOf);

    // Assess
    expect(grades).toEqual(['error', 'error', 'error', 'warning', 'info']);
  });

  it('counts run ends and node outcomes with their durations', () => {
    // Prepare
    const base = { severity: 'info', runId: RUN_ID, time: at } as const;

    // Act
    const points = [
      ...metricsOf({ ...base, type: 'run.started' }),
      ...metricsOf({ ...base, type: 'run.timed_out', durationMs: 9_000 }),
      ...metricsOf({ ...base, type: 'node.failed', durationMs: 300 }),
      ...metricsOf({ ...base, type: 'node.started' }),
    ];

    // Assess
    expect(points).toEqual([
      { name: 'RunsStarted', unit: 'Count', value: 1 },
      { name: 'RunsTimedOut', unit: 'Count', value: 1 },
      { name: 'RunDuration', unit: 'Milliseconds', value: 9_000 },
      { name: 'NodesFailed', unit: 'Count', value: 1 },
      { name: 'NodeDuration', unit: 'Milliseconds', value: 300 },
    ]);
  });
});

describe('events of items whose outputs live in the payload bucket', () => {
  it('are the events of the same items with inline outputs, carrying neither the reference nor the value', () => {
    // Prepare: what OffloadingRunStore leaves in the items (a reference), and inline values.
    const ref = { $skeinPayload: { key: `acme/${RUN_ID}/outputs/ab.json`, bytes: 200_000, sha256: 'ab' } };
    const ended = { endedAt: ENDED };
    const node = (outputJson: string) =>
      change('MODIFY', nodeAt('big', 'RUNNING'), nodeAt('big', 'SUCCEEDED', { ...ended, outputJson }));
    const run = (outputs: unknown) =>
      change('MODIFY', runAt('RUNNING'), runAt('SUCCEEDED', { ...ended, outputs }));

    // Act
    const offloaded = [...eventsOf(node(JSON.stringify(ref))), ...eventsOf(run(ref))];
    const inline = [...eventsOf(node('{"x":1}')), ...eventsOf(run({ x: 1 }))];

    // Assess
    expect(offloaded.map((event) => event.type)).toEqual(['node.succeeded', 'run.succeeded']);
    expect(offloaded).toEqual(inline);
    expect(JSON.stringify(offloaded)).not.toContain('skeinPayload');
  });
});
