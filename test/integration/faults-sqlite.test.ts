import { describe } from 'vitest';
import { callbackFaultScenarios } from '../faults/callback-faults.scenarios.ts';
import { controlCrashScenarios } from '../faults/controls-crash.scenarios.ts';
import { faultScenarios } from '../faults/faults.scenarios.ts';
import { mapFaultScenarios } from '../faults/map-faults.scenarios.ts';
import { sqliteStores } from './sqlite-stores.ts';

const freshStore = sqliteStores('faults');

describe('fault injection on the SQLite run store', () => {
  faultScenarios(freshStore);
  callbackFaultScenarios(freshStore);
  mapFaultScenarios(freshStore);
});

describe('run controls killed at each write on the SQLite run store', () => {
  controlCrashScenarios(freshStore);
});
