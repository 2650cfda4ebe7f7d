import { describe, expect, it } from 'vitest';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { runChaos } from '../chaos/chaos.ts';
import { localTables } from '../setup/dynamo.ts';

describe('chaos on the DynamoDB run store (the short version of npm run chaos)', () => {
  it('keeps every guarantee over 8 random runs with crashes, duplicates, takeovers and racing controls', async () => {
    // Prepare
    const { doc, tables } = await localTables('chaos');
    const store = new DynamoDbRunStore({ client: doc, tableName: tables.runs });

    // Act
    const summary = await runChaos({ runs: 8, seed: 7_000, maxNodes: 25, makeStore: () => store });

    // Assess
    expect(summary.violations).toEqual([]);
    expect(summary.crashes).toBeGreaterThan(0);
  }, 300_000);
});
