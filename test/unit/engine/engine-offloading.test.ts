import { describe } from 'vitest';
import { MemoryPayloadStore } from '../../../shared/adapters/memory/payload-store.ts';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { OffloadingRunStore } from '../../../shared/adapters/offloading-run-store.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { engineScenarios } from '../../scenarios/engine.scenarios.ts';

// Every engine scenario with every output, completion, input and run output offloaded (a 0-byte
// threshold): the decorator must be invisible to the engine.
describe('the run engine on the memory run store, every value offloaded', () => {
  engineScenarios(
    (options) =>
      new WorkflowHarness({
        ...options,
        runs: new OffloadingRunStore({
          runs: new MemoryRunStore(),
          payloads: new MemoryPayloadStore(),
          thresholdBytes: 0,
        }),
      }),
  );
});
