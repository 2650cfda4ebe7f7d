import { describe } from 'vitest';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { engineScenarios } from '../scenarios/engine.scenarios.ts';
import { localTables } from '../setup/dynamo.ts';

/** A run store on fresh tables: scenarios assert exact run ids and sweep counts. */
async function freshStore() {
  const { doc, tables } = await localTables('engine');
  return new DynamoDbRunStore({ client: doc, tableName: tables.runs });
}

describe('the run engine on the DynamoDB run store (DynamoDB Local)', () => {
  engineScenarios(async (options) => new WorkflowHarness({ ...options, runs: await freshStore() }));
});
