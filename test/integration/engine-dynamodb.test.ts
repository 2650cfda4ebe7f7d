import { describe } from 'vitest';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { engineScenarios } from '../scenarios/engine.scenarios.ts';
import { localTables } from '../setup/dynamo.ts';

/** A run store on fresh tables: scenarios assert exact run ids and sweep counts. */
async function freshStore() {
  const { doc, tables } = await localTables('engine');
  return new DynamoDbRunStore({ client: doc, tableName: tables.runs });
}

describe('the run engine on the DynamoDB run store (DynamoDB Local)', () => {
  // The clock starts in 2100: DynamoDB Local's TTL deletes items whose `expiresAt` (counted from
  // the fake clock) is behind the real one.
  engineScenarios(
    async (options) =>
      new WorkflowHarness({
        clock: new FakeClock(Date.UTC(2100, 0, 1)),
        ...options,
        runs: await freshStore(),
      }),
  );
});
