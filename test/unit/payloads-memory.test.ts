import { describe } from 'vitest';
import { MemoryPayloadStore } from '../../shared/adapters/memory/payload-store.ts';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { payloadScenarios } from '../scenarios/payloads.scenarios.ts';

describe('large payloads on the memory run store, inline', () => {
  payloadScenarios((options) => new WorkflowHarness(options));
});

describe('large payloads on the memory run store, offloaded to a memory payload store', () => {
  payloadScenarios(
    (options) =>
      new WorkflowHarness({
        ...options,
        runs: new OffloadingRunStore({ runs: new MemoryRunStore(), payloads: new MemoryPayloadStore() }),
      }),
  );
});
