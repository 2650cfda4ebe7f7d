import { boundsScenarios } from './bounds.scenarios.ts';
import { callbackScenarios } from './callback.scenarios.ts';
import { concurrencyScenarios } from './concurrency.scenarios.ts';
import { controlScenarios } from './controls.scenarios.ts';
import { epochScenarios } from './epoch.scenarios.ts';
import { flowScenarios } from './flow.scenarios.ts';
import { mapScenarios } from './map.scenarios.ts';
import { nodeScenarios } from './nodes.scenarios.ts';
import { raceScenarios } from './races.scenarios.ts';
import { recoveryScenarios } from './recovery.scenarios.ts';
import { rerunScenarios } from './rerun.scenarios.ts';
import { resumableControlScenarios } from './resumable-controls.scenarios.ts';
import { retryScenarios } from './retry.scenarios.ts';
import type { MakeHarness } from './scenario-kit.ts';
import { startScenarios } from './start.scenarios.ts';
import { stepFunctionsScenarios } from './stepfunctions.scenarios.ts';
import { sweeperScenarios } from './sweeper.scenarios.ts';
import { workflowScenarios } from './workflow.scenarios.ts';

export type { MakeHarness } from './scenario-kit.ts';

/**
 * Every rule of the run engine as scenarios over a `WorkflowHarness`, for any run store: the
 * memory suite passes a plain harness, the DynamoDB one a harness whose `runs` is the DynamoDB
 * adapter. `makeHarness` must return a fresh harness and keep the `options` it is given
 * (executors, random source). Run ids come from the harness's sequential ids (`m-0001`, ...), so
 * give each harness an empty store, or `ids` of its own when harnesses share a table. The
 * scenarios read state only through the engine, the harness and the `RunStore` port, never
 * through an adapter's internals.
 * @example engineScenarios((options) => new WorkflowHarness({ ...options, runs: new MemoryRunStore() }));
 */
export function engineScenarios(makeHarness: MakeHarness): void {
  startScenarios(makeHarness);
  nodeScenarios(makeHarness);
  flowScenarios(makeHarness);
  retryScenarios(makeHarness);
  controlScenarios(makeHarness);
  rerunScenarios(makeHarness);
  recoveryScenarios(makeHarness);
  raceScenarios(makeHarness);
  epochScenarios(makeHarness);
  resumableControlScenarios(makeHarness);
  boundsScenarios(makeHarness);
  concurrencyScenarios(makeHarness);
  sweeperScenarios(makeHarness);
  callbackScenarios(makeHarness);
  workflowScenarios(makeHarness);
  mapScenarios(makeHarness);
  stepFunctionsScenarios(makeHarness);
}
