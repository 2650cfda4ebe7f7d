import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryTriggerStore } from '../../shared/adapters/memory/trigger-store.ts';
import { createApp } from '../../shared/api/app.ts';
import type { TriggerBody } from '../../shared/domain/trigger-spec.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import type { TriggerDeps } from '../../shared/engine/triggers/deps.ts';
import { putTrigger } from '../../shared/engine/triggers/manage.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { TriggerSchedules } from '../../shared/ports/trigger-schedules.ts';
import { TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import type { Json } from './api-on-harness.ts';

/** A workflow whose runs stay RUNNING until a callback completes them: overlap tests need active runs. */
export const SLOW = {
  id: 'slow',
  inputs: { at: { type: 'string', required: false } },
  nodes: { wait: { type: 'callback', timeout: '1h' } },
};

/**
 * The trigger use cases on a workflow harness (memory stores, FakeClock at 2026-01-01T00:00:00Z)
 * with `slow` and `hello` published, and the events they emit.
 */
export async function triggerHarness() {
  const harness = new WorkflowHarness();
  await harness.publish(SLOW);
  await harness.publish({
    id: 'hello',
    inputs: { name: { type: 'string', required: false } },
    nodes: { a: { type: 'noop' } },
  });
  const events: EngineEvent[] = [];
  const deps: TriggerDeps = {
    triggers: new MemoryTriggerStore(),
    runner: harness.engine,
    definitions: harness.definitions,
    clock: harness.clock,
    ids: sequentialIds('trg'),
    observer: (event) => events.push(event),
  };
  const put = (id: string, body: Partial<TriggerBody> & Pick<TriggerBody, 'type' | 'workflow'>) =>
    putTrigger(deps, TENANT, id, body as TriggerBody);
  const runsOf = async () => (await harness.engine.listRuns(TENANT, { limit: 100 })).items;
  return { harness, deps, events, put, runsOf };
}

/** The API with triggers on a harness; `schedules` records what the API told the scheduler. */
export async function apiWithTriggers() {
  const harness = new WorkflowHarness();
  await harness.publish({
    id: 'hello',
    inputs: { name: { type: 'string', required: false } },
    nodes: { a: { type: 'noop' } },
  });
  const apiKeys = new MemoryApiKeyStore();
  const { key } = await createApiKey({ apiKeys, clock: harness.clock, ids: sequentialIds('key') }, TENANT);
  const { key: otherKey } = await createApiKey(
    { apiKeys, clock: harness.clock, ids: sequentialIds('other') },
    'other',
  );
  const scheduled: unknown[] = [];
  const schedules: TriggerSchedules = {
    put: async (t) => void scheduled.push(['put', t.triggerId, t.expression, t.enabled]),
    remove: async (_tenant, id) => void scheduled.push(['remove', id]),
  };
  const triggers: TriggerDeps = {
    triggers: new MemoryTriggerStore(),
    runner: harness.engine,
    definitions: harness.definitions,
    schedules,
    clock: harness.clock,
    ids: sequentialIds('trg'),
  };
  const logged: unknown[] = [];
  const app = createApp({
    definitions: harness.definitions,
    clock: harness.clock,
    storeName: 'memory',
    apiKeys,
    ids: sequentialIds('api-key'),
    engine: harness.engine,
    triggers,
    log: (_message, error) => logged.push(error),
  });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    as = key,
  ) => {
    const init = {
      method,
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    };
    const response = await app.request(path, init);
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json, text };
  };
  return { harness, call, scheduled, logged, otherKey, triggers };
}
