import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { startSqliteStreamSource } from '../../functions/local/sqlite-stream-source.ts';
import { OutboxReader } from '../../shared/adapters/sqlite/change-feed.ts';
import type { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { createMonitorHandler } from '../../shared/handlers/monitor.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';
import { ItemTooLargeError } from '../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { created, EXPIRES, newId, runRecord } from '../contract/run-fixtures.ts';
import { sqliteStores } from './sqlite-stores.ts';

const freshStore = sqliteStores('feed');
const NO_METRICS = {
  addMetric: () => NO_METRICS,
  publishStoredMetrics: () => {},
  hasStoredMetrics: () => false,
} as unknown as Parameters<typeof createMonitorHandler>[0]['metrics'];

/** The monitor handler as `npm start` wires it, publishing into `events`. */
function monitorOn(store: SqliteRunStore, events: SkeinEvent[]) {
  return createMonitorHandler({
    notifier: { publish: async (batch) => void events.push(...batch) },
    metrics: NO_METRICS,
    runContext: async (runId) => {
      const run = await store.getRun(runId);
      return run && { tenant: run.tenant, workflow: run.workflow, version: run.version };
    },
    clock: new FakeClock(Date.UTC(2026, 0, 1)),
    nodeEvents: 'all',
  });
}

describe('the SQLite run store change feed (outbox)', () => {
  it('holds the committed run and node changes the monitor filter passes, in commit order, as stream records', async () => {
    // Prepare
    const store = freshStore();
    const run = await created(store, runRecord({ status: 'RUNNING' }));
    const running = { set: { status: 'RUNNING' as const }, addAttempt: 1 };

    // Act
    await store.updateNode(run.runId, 'b', { status: ['ABSENT'] }, running, EXPIRES);
    await store.updateNode(run.runId, 'a', { status: ['ABSENT'] }, running, EXPIRES);
    await store.updateNode(run.runId, 'a', { status: ['READY'] }, { set: { status: 'FAILED' } }, EXPIRES);
    await store.updateNode(
      run.runId,
      'a',
      { status: ['RUNNING'] },
      { set: { status: 'SUCCEEDED' } },
      EXPIRES,
    );
    await store.arrive(run.runId, 'c', 'a', 'SUCCEEDED', EXPIRES);
    await store.addDone(run.runId, '0#0', 1, EXPIRES);
    const big = { set: { status: 'FAILED' as const, reason: 'x'.repeat(500_000) } };
    const tooLarge = store.updateNode(run.runId, 'b', { status: ['RUNNING'] }, big, EXPIRES);
    await expect(tooLarge).rejects.toBeInstanceOf(ItemTooLargeError);
    await store.updateRun(run.runId, ['RUNNING'], { status: 'SUCCEEDED', updatedAt: 't' });
    const records = await new OutboxReader(store.sqlite, 'test').next(100);

    // Assess
    const seen = records.map((r) => [r.eventName, r.dynamodb?.Keys?.sk?.S, r.dynamodb?.NewImage?.status?.S]);
    expect(seen).toEqual([
      ['INSERT', 'RUN', 'RUNNING'],
      ['INSERT', 'N#b', 'RUNNING'],
      ['INSERT', 'N#a', 'RUNNING'],
      ['MODIFY', 'N#a', 'SUCCEEDED'],
      ['MODIFY', 'RUN', 'SUCCEEDED'],
    ]);
    const sequence = records.map((r) => r.dynamodb?.SequenceNumber ?? '');
    expect([...sequence].sort()).toEqual(sequence);
    expect(new Set(sequence).size).toBe(sequence.length);
    expect(records[3]?.dynamodb?.OldImage?.status).toEqual({ S: 'RUNNING' });
    expect(records[3]?.eventID).toBe(records[3]?.dynamodb?.SequenceNumber);
  });

  it('writes no outbox row with the feed off, and only failures at the failures level', async () => {
    // Prepare
    const off = sqliteStores('feed-off', 'off')();
    const failures = sqliteStores('feed-failures', 'failures')();

    // Act
    for (const store of [off, failures]) {
      const run = await created(store, runRecord());
      const change = { set: { status: 'RUNNING' as const } };
      await store.updateNode(run.runId, 'a', { status: ['ABSENT'] }, change, EXPIRES);
      await store.updateNode(run.runId, 'b', { status: ['ABSENT'] }, { set: { status: 'FAILED' } }, EXPIRES);
    }

    // Assess
    expect(await new OutboxReader(off.sqlite, 'test').next(100)).toEqual([]);
    const kept = await new OutboxReader(failures.sqlite, 'test').next(100);
    expect(kept.map((r) => r.dynamodb?.Keys?.sk?.S)).toEqual(['RUN', 'N#b']);
  });

  it('drives the monitor handler from the stream source: a run makes its events once, in order', async () => {
    // Prepare
    const store = freshStore();
    const events: SkeinEvent[] = [];
    const source = startSqliteStreamSource({ store, handler: monitorOn(store, events), pollIntervalMs: 20 });
    const harness = new WorkflowHarness({ runs: store });
    const workflow = await harness.publish({
      id: 'pair',
      nodes: { a: { type: 'noop' }, b: { type: 'noop', needs: ['a'] } },
    });

    // Act
    let view: Awaited<ReturnType<typeof harness.run>>;
    try {
      view = await harness.run(workflow);
    } finally {
      await source.caughtUp();
      await source.stop();
    }

    // Assess
    expect(view.status).toBe('SUCCEEDED');
    expect(events.map((e) => `${e.type}${e.nodeId ? ` ${e.nodeId}` : ''}`)).toEqual([
      'run.started',
      'node.started a',
      'node.succeeded a',
      'node.started b',
      'node.succeeded b',
      'run.succeeded',
    ]);
    expect(await new OutboxReader(store.sqlite, 'monitor').next(10)).toEqual([]);
  });

  it('retries a failing batch, and a restarted source goes on from its saved checkpoint', async () => {
    // Prepare
    const store = freshStore();
    const runIds: string[] = [];
    let failuresLeft = 2;
    const handler = async (event: DynamoDBStreamEvent) => {
      if (failuresLeft-- > 0) throw new Error('monitor down');
      for (const record of event.Records) runIds.push(String(record.dynamodb?.NewImage?.runId?.S));
    };
    const first = startSqliteStreamSource({ store, handler, pollIntervalMs: 5, onError: () => undefined });
    const one = await created(store, runRecord({ runId: newId() }));
    await first.caughtUp();
    await first.stop();

    // Act
    const two = await created(store, runRecord({ runId: newId() }));
    const second = startSqliteStreamSource({ store, handler, pollIntervalMs: 5 });
    await second.caughtUp();
    await second.stop();

    // Assess
    expect(runIds).toEqual([one.runId, two.runId]);
  });
});
