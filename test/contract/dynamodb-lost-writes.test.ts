import { beforeAll, describe, expect, it } from 'vitest';
import { countDynamoDb, type DynamoCounts, diffCounts, snapshot } from '../../bench/dynamo-counting.ts';
import { dynamoClients } from '../../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { localTables } from '../setup/dynamo.ts';

const EXPIRES = 4_102_444_800;
let store: DynamoDbRunStore;
let counts: DynamoCounts;
let runs = 0;
const newRunId = () => `lost-writes-${Date.now()}-${runs++}`;

beforeAll(async () => {
  const { endpoint, tables } = await localTables('lost');
  const { client, doc } = dynamoClients(endpoint);
  counts = countDynamoDb(client);
  store = new DynamoDbRunStore({ client: doc, tableName: tables.runs });
});

/** The requests `act` sends, by command. */
async function requestsOf(act: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = snapshot(counts);
  await act();
  return diffCounts(snapshot(counts), before).requests;
}

describe('DynamoDbRunStore after a lost conditional write', () => {
  it('answers a refused arrival from the refusing write alone, with the item as it is', async () => {
    // Prepare
    const runId = newRunId();
    await store.arrive(runId, 'join', 'a', 'SUCCEEDED', EXPIRES);
    let result: Awaited<ReturnType<DynamoDbRunStore['arrive']>> | undefined;

    // Act
    const requests = await requestsOf(async () => {
      result = await store.arrive(runId, 'join', 'a', 'FAILED', EXPIRES);
    });

    // Assess
    expect(requests).toEqual({ UpdateItemCommand: 1 });
    expect(result).toMatchObject({
      applied: false,
      node: { nodeId: 'join', arrived: ['a'], failedParents: [] },
    });
  });

  it('answers a sink counted twice from the refusing write alone, with the set size', async () => {
    // Prepare
    const runId = newRunId();
    await store.addDone(runId, '0#0', 3, EXPIRES);
    await store.addDone(runId, '0#0', 5, EXPIRES);
    let result: Awaited<ReturnType<DynamoDbRunStore['addDone']>> | undefined;

    // Act
    const requests = await requestsOf(async () => {
      result = await store.addDone(runId, '0#0', 3, EXPIRES);
    });

    // Assess
    expect(requests).toEqual({ UpdateItemCommand: 1 });
    expect(result).toEqual({ applied: false, size: 2 });
  });

  it('answers a lost claim from the refusing write alone, with the node that won it', async () => {
    // Prepare
    const runId = newRunId();
    const claim = { set: { status: 'RUNNING' as const, token: 'winner' }, bumpFence: true, addAttempt: 1 };
    await store.updateNode(runId, 'a', { status: ['ABSENT'] }, claim, EXPIRES);
    let result: Awaited<ReturnType<DynamoDbRunStore['tryUpdateNode']>> | undefined;

    // Act
    const requests = await requestsOf(async () => {
      result = await store.tryUpdateNode(
        runId,
        'a',
        { status: ['ABSENT'] },
        { ...claim, set: { ...claim.set, token: 'loser' } },
        EXPIRES,
      );
    });

    // Assess
    expect(requests).toEqual({ UpdateItemCommand: 1 });
    expect(result).toMatchObject({ applied: false, node: { status: 'RUNNING', token: 'winner', fence: 1 } });
  });
});
