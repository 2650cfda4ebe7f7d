import { describe, expect, it } from 'vitest';
import { dynamoClients } from '../../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { MINUTE } from '../scenarios/scenario-kit.ts';
import { localTables } from '../setup/dynamo.ts';

interface Sent {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** A harness on fresh DynamoDB Local tables whose client records every request. */
async function recordingHarness() {
  const { endpoint, tables } = await localTables('sweeper');
  const { client, doc } = dynamoClients(endpoint);
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: String(context.commandName), input: { ...(args.input as object) } });
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  const runs = new DynamoDbRunStore({ client: doc, tableName: tables.runs });
  // In 2100: DynamoDB Local's TTL deletes items whose `expiresAt` is behind the real clock.
  const harness = new WorkflowHarness({ clock: new FakeClock(Date.UTC(2100, 0, 1)), runs });
  return { harness, sent };
}

describe('the sweeper on DynamoDB Local', () => {
  it("reads a quiet run's node items with one eventually consistent query, and takes and gives up its lease", async () => {
    // Prepare
    const { harness, sent } = await recordingHarness();
    await harness.publish({ id: 'nap', nodes: { nap: { type: 'wait', with: { duration: '1h' } } } });
    const runId = await harness.start('nap');
    await harness.step();
    harness.clock.advance(2 * MINUTE);
    sent.length = 0;

    // Act
    const report = await harness.engine.sweep();

    // Assess
    expect(report).toMatchObject({ runsChecked: 1, requeued: 0, errors: 0 });
    const nodeReads = sent.filter(
      ({ command, input }) =>
        command === 'QueryCommand' &&
        (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk'] === `R#${runId}`,
    );
    expect(nodeReads.map(({ input }) => input.ConsistentRead)).toEqual([false]);
    const writes = sent.filter(({ command }) => command === 'UpdateItemCommand');
    expect(writes.map(({ input }) => (input.Key as { pk: string }).pk)).toEqual(['SWEEPER', 'SWEEPER']);
    expect(sent.filter(({ command }) => command === 'GetItemCommand')).toEqual([]);
  });
});
