import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { countDynamoDb, diffCounts, snapshot } from '../../bench/dynamo-counting.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { localTables } from '../setup/dynamo.ts';

/** One script node, printing nothing, a few lines, or past the 64 KB bound. */
const SCRIPTS = {
  quiet: 'return 1',
  fewLines: 'for (let i = 0; i < 5; i++) console.log("row", i, { id: i, ok: true }); return 1',
  full: 'for (let i = 0; i < 5000; i++) console.log("row " + i + " of the nightly export, status ok, checksum " + (i * 7919) % 10007); return 1',
};

/**
 * The DynamoDB write units of a run of one script node, with and without logs, on DynamoDB Local
 * (which reports consumed capacity as DynamoDB bills it): a script that prints nothing costs no
 * more than before logs existed, one that prints adds one item. The figures are in README.
 */
describe('the write units of script logs (DynamoDB Local)', () => {
  it('adds no write to an attempt that printed nothing, and one gzipped item to one that printed', async () => {
    // Prepare
    const { client, doc, tables } = await localTables('logs-units');
    const counts = countDynamoDb(client);
    const harness = new WorkflowHarness({
      clock: new FakeClock(Date.UTC(2100, 0, 1)),
      runs: new DynamoDbRunStore({ client: doc, tableName: tables.runs }),
    });
    const measured: Record<string, { writeUnits: number; puts: number; logItems: number }> = {};

    // Act
    for (const [name, code] of Object.entries(SCRIPTS)) {
      await harness.publish({
        id: name.toLowerCase(),
        nodes: { work: { type: 'script', language: 'js', code } },
      });
      const before = snapshot(counts);
      const view = await harness.run(name.toLowerCase());
      const delta = diffCounts(snapshot(counts), before);
      expect(view.status).toBe('SUCCEEDED');
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName: tables.runs,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :logs)',
          ExpressionAttributeValues: { ':pk': `R#${view.runId}`, ':logs': 'L#' },
        }),
      );
      measured[name] = {
        writeUnits: delta.writeUnits,
        puts: delta.requests.PutItemCommand ?? 0,
        logItems: Items.length,
      };
    }

    // Assess
    console.info('write units of a one-script-node run:', JSON.stringify(measured));
    const { quiet, fewLines, full } = measured as Record<keyof typeof SCRIPTS, (typeof measured)[string]>;
    expect(quiet.logItems).toBe(0);
    expect([fewLines.logItems, full.logItems]).toEqual([1, 1]);
    expect(fewLines.puts - quiet.puts).toBe(1);
    // A few lines fit one 1 KB write unit; 64 KB of logs compress to a few.
    expect(fewLines.writeUnits - quiet.writeUnits).toBe(1);
    expect(full.writeUnits - quiet.writeUnits).toBeGreaterThan(1);
    expect(full.writeUnits - quiet.writeUnits).toBeLessThan(30);
  }, 120_000);
});
