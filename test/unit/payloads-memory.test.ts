import { describe } from 'vitest';
import { MemoryPayloadStore } from '../../shared/adapters/memory/payload-store.ts';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { type HarnessOptions, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { offloadedPayloadScenarios, payloadScenarios } from '../scenarios/payloads.scenarios.ts';

describe('large payloads on the memory run store, inline', () => {
  payloadScenarios((options) => new WorkflowHarness(options));
});

describe('large payloads on the memory run store, offloaded to a memory payload store', () => {
  const offloading = (options: HarnessOptions = {}) =>
    new WorkflowHarness({
      ...options,
      runs: new OffloadingRunStore({ runs: new MemoryRunStore(), payloads: new MemoryPayloadStore() }),
    });
  payloadScenarios(offloading);
  offloadedPayloadScenarios(offloading);
});
