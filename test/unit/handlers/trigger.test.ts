import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { NotFoundError } from '../../../shared/domain/problems.ts';
import {
  createTriggerHandler,
  handleTriggerMessage,
  START_RUN_DETAIL_TYPE,
  type TriggerDeps,
} from '../../../shared/handlers/trigger.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import type { QueueMessage } from '../../../shared/ports/queue.ts';
import type { RunRecord } from '../../../shared/ports/run-store.ts';
import { TENANT, WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { eventBridgeEvent, sqsRecord } from './fixtures.ts';

async function setup(harness = new WorkflowHarness(), extra: Partial<TriggerDeps> = {}) {
  await harness.publish({
    id: 'orders',
    inputs: { id: { type: 'integer', required: true } },
    nodes: { ship: { type: 'noop', with: { id: '{% $inputs.id %}' } } },
  });
  const logged: string[] = [];
  const deps: TriggerDeps = { engine: harness.engine, log: (message) => logged.push(message), ...extra };
  return { harness, deps, handler: createTriggerHandler(deps), logged };
}

const startRun = (detail: unknown, id?: string) =>
  JSON.stringify(eventBridgeEvent(START_RUN_DETAIL_TYPE, detail, id));
const batch = (...bodies: string[]): SQSEvent => ({
  Records: bodies.map((body, index) => sqsRecord(`m${index}`, body)),
});
const cron = { kind: 'cron', tenant: 'acme', triggerId: 'tick', scheduledAt: '2026-01-01T10:05:00Z' };

describe('the trigger handler', () => {
  it('starts a run from a skein.start-run event delivered by the trigger queue', async () => {
    // Prepare
    const { harness, handler } = await setup();

    // Act
    const response = await handler(
      batch(startRun({ tenant: TENANT, workflow: 'orders', inputs: { id: 7 } })),
    );
    await harness.drain();

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const runs = await harness.engine.listRuns(TENANT, { limit: 10 });
    expect(runs.items.map((run) => run.status)).toEqual(['SUCCEEDED']);
  });

  it('starts one run for a redelivered event (the event id is the idempotency key)', async () => {
    // Prepare
    const { deps } = await setup();
    const body = startRun({ tenant: TENANT, workflow: 'orders', inputs: { id: 7 } });

    // Act
    const first = await handleTriggerMessage(deps, body, 'm1');
    const again = await handleTriggerMessage(deps, body, 'm2');

    // Assess
    expect(first).toMatchObject({ started: true, created: true });
    expect(again).toEqual({ ...first, created: false });
  });

  it.each([
    ['a detail without workflow', startRun({ tenant: TENANT }), 'detail.workflow'],
    ['a misspelt field', startRun({ tenant: TENANT, workflow: 'orders', input: {} }), 'input'],
    [
      'inputs the workflow refuses',
      startRun({ tenant: TENANT, workflow: 'orders', inputs: { id: 'x' } }),
      'refused',
    ],
    ['an unknown workflow', startRun({ tenant: TENANT, workflow: 'nope' }), 'NOT_FOUND'],
    ['an event of another detail-type', JSON.stringify(eventBridgeEvent('Object Created', {})), 'is not'],
    ['a body that is not JSON', '{"kind":', 'not JSON'],
    ['a cron firing without its time', JSON.stringify({ ...cron, scheduledAt: undefined }), 'scheduledAt'],
    ['a bus event without the event', JSON.stringify({ kind: 'event' }), 'event'],
  ])('logs and drops %s, and does not ask for it again', async (_what, body, message) => {
    // Prepare
    const { handler, logged } = await setup();

    // Act
    const response = await handler(batch(body));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(message);
  });

  it('hands back only the message that met an infrastructure error', async () => {
    // Prepare
    class DownStore extends MemoryRunStore {
      override async createRun(): Promise<{ run: RunRecord; created: boolean }> {
        throw new Error('connect ETIMEDOUT');
      }
    }
    const fire = vi.fn(async () => undefined);
    const { handler } = await setup(new WorkflowHarness({ runs: new DownStore() }), { fire });

    // Act
    const response = await handler(
      batch(startRun({ tenant: TENANT, workflow: 'orders', inputs: { id: 7 } }), JSON.stringify(cron)),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(fire).toHaveBeenCalledOnce();
  });

  it('fires a cron trigger with the time it was due', async () => {
    // Prepare
    const fire = vi.fn(async () => undefined);
    const { deps } = await setup(undefined, { fire });

    // Act
    const result = await handleTriggerMessage(deps, JSON.stringify(cron), 'm1');

    // Assess
    expect(result).toEqual({ fired: 1 });
    expect(fire).toHaveBeenCalledWith('acme', 'tick', '2026-01-01T10:05:00Z');
  });

  it('logs and drops a cron firing while no fire use case is wired', async () => {
    // Prepare
    const { deps, logged } = await setup();

    // Act
    const result = await handleTriggerMessage(deps, JSON.stringify(cron), 'm1');

    // Assess
    expect(result).toMatchObject({ started: false });
    expect(logged[0]).toContain('cron triggers are not wired');
  });

  it('drops a firing the use case refuses, and retries one that met an outage', async () => {
    // Prepare
    const fire = vi
      .fn<NonNullable<TriggerDeps['fire']>>()
      .mockRejectedValueOnce(new NotFoundError('trigger "tick" not found'))
      .mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));
    const { handler, logged } = await setup(undefined, { fire });

    // Act
    const response = await handler(
      batch(JSON.stringify(cron), JSON.stringify({ ...cron, triggerId: 'other' })),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(logged.some((line) => line.includes('NOT_FOUND'))).toBe(true);
  });

  it('fans a six-field firing out onto the queue, one delayed firing per second', async () => {
    // Prepare
    const sent: QueueMessage[] = [];
    const fire = vi.fn(async () => undefined);
    const queue = { send: async (messages: readonly QueueMessage[]) => void sent.push(...messages) };
    const clock = new FakeClock(Date.parse('2026-01-01T10:05:01Z'));
    const { deps } = await setup(undefined, { queue, clock, fire });

    // Act
    const result = await handleTriggerMessage(deps, JSON.stringify({ ...cron, seconds: '*/10' }), 'm1');

    // Assess
    expect(result).toEqual({ fired: 6 });
    expect(fire).not.toHaveBeenCalled();
    expect(sent.map((message) => message.delaySeconds)).toEqual([0, 9, 19, 29, 39, 49]);
    expect(JSON.parse(sent[1]?.body ?? '')).toEqual({ ...cron, scheduledAt: '2026-01-01T10:05:10.000Z' });
  });

  it('hands a fan-out back when the queue refuses it', async () => {
    // Prepare
    const queue = { send: async () => Promise.reject(new Error('SQS unavailable')) };
    const { handler } = await setup(undefined, { queue });

    // Act
    const response = await handler(batch(JSON.stringify({ ...cron, seconds: '*/10' })));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
  });

  it('hands an event from the Skein bus to the event-trigger matcher', async () => {
    // Prepare
    const matchEvents = vi.fn(async () => undefined);
    const { deps } = await setup(undefined, { matchEvents });
    const event = eventBridgeEvent('order.shipped', { id: 7 });

    // Act
    const result = await handleTriggerMessage(deps, JSON.stringify({ kind: 'event', event }), 'm1');

    // Assess
    expect(result).toEqual({ matched: true });
    expect(matchEvents).toHaveBeenCalledWith(event);
  });

  it('logs and drops a bus event while no matcher is wired', async () => {
    // Prepare
    const { deps, logged } = await setup();

    // Act
    const result = await handleTriggerMessage(
      deps,
      JSON.stringify({ kind: 'event', event: eventBridgeEvent('order.shipped', {}) }),
      'm1',
    );

    // Assess
    expect(result).toMatchObject({ started: false });
    expect(logged[0]).toContain('event triggers are not wired');
  });
});
