import { describe } from 'vitest';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { engineScenarios } from '../../scenarios/engine.scenarios.ts';

describe('the run engine on the memory run store', () => {
  engineScenarios((options) => new WorkflowHarness(options));
});
