import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbRunCounters } from '../../shared/adapters/aws/dynamodb-run-counters.ts';
import { MemoryRunCounters } from '../../shared/adapters/memory/run-counters.ts';
import { openSqlite } from '../../shared/adapters/sqlite/database.ts';
import { SqliteRunCounters } from '../../shared/adapters/sqlite/sqlite-monitor-stores.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';
import type { RunCounters } from '../../shared/ports/run-counters.ts';
import { localTables } from '../setup/dynamo.ts';

let local: Awaited<ReturnType<typeof localTables>>;
beforeAll(async () => {
  local = await localTables('counts');
});

function describeRunCountersContract(name: string, make: () => Promise<RunCounters>) {
  describe(`RunCounters contract: ${name}`, () => {
    it('counts runs started and ended by status, per tenant and workflow', async () => {
      // Prepare
      const counters = await make();
      const tenant = randomUUID();
      const at = (type: SkeinEvent['type'], workflow = 'orders', of: string = tenant): SkeinEvent => ({
        type,
        severity: 'info',
        tenant: of,
        workflow,
        runId: randomUUID(),
        time: 't',
      });

      // Act
      await counters.count([at('run.started'), at('run.started'), at('run.failed'), at('node.failed')]);
      await counters.count([
        at('run.succeeded'),
        at('run.started', 'other'),
        at('run.started', 'orders', 'x'),
      ]);

      // Assess
      expect(await counters.get(tenant, 'orders')).toEqual({
        started: 2,
        succeeded: 1,
        failed: 1,
        cancelled: 0,
        timed_out: 0,
      });
      expect((await counters.get(tenant, 'nothing')).started).toBe(0);
    });
  });
}

describeRunCountersContract('memory', async () => new MemoryRunCounters());
describeRunCountersContract(
  'DynamoDB',
  async () =>
    new DynamoDbRunCounters({
      client: DynamoDBDocumentClient.from(local.client),
      tableName: local.tables.runs,
    }),
);
// An in-memory SQLite database per test: the same tables and statements as on a file.
describeRunCountersContract('SQLite', async () => new SqliteRunCounters(openSqlite(':memory:')));
