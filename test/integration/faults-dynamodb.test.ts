import { describe } from 'vitest';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { callbackFaultScenarios } from '../faults/callback-faults.scenarios.ts';
import { controlCrashScenarios } from '../faults/controls-crash.scenarios.ts';
import { faultScenarios } from '../faults/faults.scenarios.ts';
import { mapFaultScenarios } from '../faults/map-faults.scenarios.ts';
import { localTables } from '../setup/dynamo.ts';

async function freshStore() {
  const { doc, tables } = await localTables('faults');
  return new DynamoDbRunStore({ client: doc, tableName: tables.runs });
}

// Each scenario drives a 77-node run with every message doubled or crashed: a few hundred
// DynamoDB Local writes, seconds on a loaded 2-core machine, so the default 5 s is too tight.
describe('fault injection on the DynamoDB run store (DynamoDB Local)', { timeout: 60_000 }, () => {
  faultScenarios(freshStore);
  callbackFaultScenarios(freshStore);
  mapFaultScenarios(freshStore);
});

describe('run controls killed at each write on the DynamoDB run store (DynamoDB Local)', {
  timeout: 300_000,
}, () => {
  controlCrashScenarios(freshStore, 'sampled');
});
