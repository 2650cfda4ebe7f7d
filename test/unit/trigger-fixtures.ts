import { MemoryTriggerStore } from '../../shared/adapters/memory/trigger-store.ts';
import type { TriggerBody } from '../../shared/domain/trigger-spec.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import type { TriggerDeps } from '../../shared/engine/triggers/deps.ts';
import { putTrigger } from '../../shared/engine/triggers/manage.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import { TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';

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
