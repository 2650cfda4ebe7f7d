import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { createTriggerHandler, START_RUN_DETAIL_TYPE } from '../../../shared/handlers/trigger.ts';
import type { RunRecord } from '../../../shared/ports/run-store.ts';
import { TENANT, WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { eventBridgeEvent } from './fixtures.ts';

async function setup(harness = new WorkflowHarness()) {
  await harness.publish({
    id: 'orders',
    inputs: { id: { type: 'integer', required: true } },
    nodes: { ship: { type: 'noop', with: { id: '{% $inputs.id %}' } } },
  });
  const logged: string[] = [];
  const handler = createTriggerHandler({ engine: harness.engine, log: (message) => logged.push(message) });
  return { harness, handler, logged };
}

describe('the trigger handler', () => {
  it('starts a run from a skein.start-run event', async () => {
    // Prepare
    const { harness, handler } = await setup();
    const event = eventBridgeEvent(START_RUN_DETAIL_TYPE, {
      tenant: TENANT,
      workflow: 'orders',
      inputs: { id: 7 },
    });

    // Act
    const result = await handler(event);
    await harness.drain();

    // Assess
    expect(result).toMatchObject({ started: true, created: true });
    const view = await harness.view(result.started ? result.runId : '');
    expect(view.status).toBe('SUCCEEDED');
  });

  it('starts one run for a redelivered event (the event id is the idempotency key)', async () => {
    // Prepare
    const { handler } = await setup();
    const event = eventBridgeEvent(START_RUN_DETAIL_TYPE, {
      tenant: TENANT,
      workflow: 'orders',
      inputs: { id: 7 },
    });

    // Act
    const first = await handler(event);
    const again = await handler(event);

    // Assess
    expect(again).toEqual({ ...first, created: false });
  });

  it.each([
    ['a detail without workflow', { tenant: TENANT }, 'detail.workflow'],
    ['a misspelt field', { tenant: TENANT, workflow: 'orders', input: {} }, 'input'],
    ['inputs the workflow refuses', { tenant: TENANT, workflow: 'orders', inputs: { id: 'x' } }, 'refused'],
    ['an unknown workflow', { tenant: TENANT, workflow: 'nope' }, 'NOT_FOUND'],
  ])('logs and drops %s', async (_what, detail, message) => {
    // Prepare
    const { handler, logged } = await setup();

    // Act
    const result = await handler(eventBridgeEvent(START_RUN_DETAIL_TYPE, detail));

    // Assess
    expect(result).toMatchObject({ started: false });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(message);
  });

  it('drops an event of another detail-type', async () => {
    // Prepare
    const { handler, logged } = await setup();

    // Act
    const result = await handler(eventBridgeEvent('Object Created', { bucket: 'b' }));

    // Assess
    expect(result).toEqual({
      started: false,
      reason: 'detail-type "Object Created" is not "skein.start-run"',
    });
    expect(logged).toHaveLength(1);
  });

  it('throws an infrastructure error so that EventBridge retries', async () => {
    // Prepare
    class DownStore extends MemoryRunStore {
      override async createRun(): Promise<{ run: RunRecord; created: boolean }> {
        throw new Error('connect ETIMEDOUT');
      }
    }
    const { handler } = await setup(new WorkflowHarness({ runs: new DownStore() }));
    const event = eventBridgeEvent(START_RUN_DETAIL_TYPE, {
      tenant: TENANT,
      workflow: 'orders',
      inputs: { id: 7 },
    });

    // Act
    const starting = handler(event);

    // Assess
    await expect(starting).rejects.toThrow('connect ETIMEDOUT');
  });
});
