import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEventLog } from '../../shared/adapters/aws/dynamodb-event-log.ts';
import { MemoryEventLog } from '../../shared/adapters/memory/event-log.ts';
import { openSqlite } from '../../shared/adapters/sqlite/database.ts';
import { SqliteEventLog } from '../../shared/adapters/sqlite/sqlite-monitor-stores.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';
import { localTables } from '../setup/dynamo.ts';

let local: Awaited<ReturnType<typeof localTables>>;
beforeAll(async () => {
  local = await localTables('events');
});

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

function describeEventLogContract(name: string, makeLog: () => Promise<EventLog>) {
  describe(`EventLog contract: ${name}`, () => {
    it('lists a run’s events in time order, once each, and no other run’s', async () => {
      // Prepare
      const log = await makeLog();
      const runId = randomUUID();
      const started: SkeinEvent = { type: 'run.started', severity: 'info', runId, time: at(1), tenant: 't' };
      const node: SkeinEvent = {
        type: 'node.failed',
        severity: 'error',
        runId,
        nodeId: 'a',
        attempt: 1,
        time: at(2),
      };
      const ended: SkeinEvent = { type: 'run.failed', severity: 'error', runId, time: at(3), tenant: 't' };
      const other: SkeinEvent = { ...started, runId: randomUUID() };

      // Act
      await log.append([ended, other]);
      await log.append([node, started, ended]);

      // Assess
      expect(await log.list(runId)).toEqual([started, node, ended]);
      expect(await log.list(randomUUID())).toEqual([]);
    });

    it('writes more events than one batch holds', async () => {
      // Prepare
      const log = await makeLog();
      const runId = randomUUID();
      const events: SkeinEvent[] = Array.from({ length: 60 }, (_, i) => ({
        type: 'node.started',
        severity: 'info',
        runId,
        nodeId: `n${String(i).padStart(2, '0')}`,
        time: at(5),
      }));

      // Act
      await log.append(events);

      // Assess
      expect((await log.list(runId)).map((e) => e.nodeId)).toEqual(events.map((e) => e.nodeId));
    });
  });
}

describeEventLogContract('memory', async () => new MemoryEventLog());
describeEventLogContract(
  'DynamoDB',
  async () =>
    new DynamoDbEventLog({ client: DynamoDBDocumentClient.from(local.client), tableName: local.tables.runs }),
);
// An in-memory SQLite database per test: the same tables and statements as on a file.
describeEventLogContract('SQLite', async () => new SqliteEventLog(openSqlite(':memory:')));
