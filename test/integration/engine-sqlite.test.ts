import { describe } from 'vitest';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { engineScenarios } from '../scenarios/engine.scenarios.ts';
import { sqliteStores } from './sqlite-stores.ts';

const freshStore = sqliteStores('engine');

describe('the run engine on the SQLite run store', () => {
  engineScenarios((options) => new WorkflowHarness({ ...options, runs: freshStore() }));
});
