import { describe, expect, it } from 'vitest';
import { countDynamoDb, diffCounts, snapshot } from '../../bench/dynamo-counting.ts';
import { dynamoClients } from '../../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { encodeNodeMessage } from '../../shared/engine/messages.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { ProbeExecutor, probeRegistry, until } from '../scenarios/scenario-kit.ts';
import { localTables } from '../setup/dynamo.ts';

/**
 * A message whose claim is refused is handled from the refused write alone: the claim returns the
 * node that refused it (`tryUpdateNode`), so a duplicate costs the run check and the claim, and
 * no read of the node after.
 */

/** A DynamoDB run store on fresh tables (the harness's run ids repeat), counting its requests. */
async function dynamoStore() {
  const { endpoint, tables } = await localTables('lost-claim');
  const { client, doc } = dynamoClients(endpoint);
  const counts = countDynamoDb(client);
  return { counts, store: new DynamoDbRunStore({ client: doc, tableName: tables.runs }) };
}

/** A harness on `runs` whose node `a` hangs on its first attempt (its claim holds it RUNNING). */
async function hangingHarness(runs: RunStore) {
  const probe = new ProbeExecutor().on('a', () => new Promise(() => undefined));
  // In 2100: DynamoDB Local's TTL deletes items whose `expiresAt` is behind the real clock.
  const harness = new WorkflowHarness({
    clock: new FakeClock(Date.UTC(2100, 0, 1)),
    runs,
    executors: probeRegistry(probe),
  });
  await harness.publish({
    id: 'pair',
    nodes: { a: { type: 'noop', timeout: '1m' }, b: { type: 'noop' } },
  });
  const runId = await harness.start('pair');
  return { harness, probe, runId };
}

/**
 * Two lost claims, each delivery measured with `measure`: a duplicate of the message whose claim
 * holds `a` (its worker still runs), and a stray message for `b`, which has finished.
 */
async function lostClaims<C>(runs: RunStore, measure: (act: () => Promise<unknown>) => Promise<C>) {
  const { harness, probe, runId } = await hangingHarness(runs);
  const messages = await harness.queue.receive({ max: 10 });
  const bodyOf = (nodeId: string) => {
    const message = messages.find((candidate) => candidate.body.includes(`"n":"${nodeId}"`));
    if (!message) throw new Error(`no message for ${nodeId}`);
    return message.body;
  };
  void harness.engine.handleMessage(bodyOf('a')); // claims a, then hangs
  await until(() => probe.count('a') === 1);
  await harness.engine.handleMessage(bodyOf('b')); // b succeeds
  let duplicate: unknown;
  const duplicateCost = await measure(async () => {
    duplicate = await harness.engine.handleMessage(bodyOf('a'));
  });
  let stray: unknown;
  const strayCost = await measure(async () => {
    stray = await harness.engine.handleMessage(encodeNodeMessage({ runId, nodeId: 'b', token: 'stray' }));
  });
  const view = await harness.view(runId);
  return { duplicate, stray, duplicateCost, strayCost, nodes: view.nodes, status: view.status };
}

describe('a lost claim', () => {
  it('reads nothing after the refused write on DynamoDB: one GetItem (the run check) and one UpdateItem', async () => {
    // Prepare
    const { store, counts } = await dynamoStore();

    // Act
    const outcome = await lostClaims(store, async (act) => {
      const before = snapshot(counts);
      await act();
      return diffCounts(snapshot(counts), before).requests;
    });

    // Assess
    expect(outcome.duplicateCost).toEqual({ GetItemCommand: 1, UpdateItemCommand: 1 });
    expect(outcome.strayCost).toEqual({ GetItemCommand: 1, UpdateItemCommand: 1 });
    // The duplicate comes back when the lease the refused claim found runs out.
    expect(outcome.duplicate).toMatchObject({ kind: 'retry' });
    expect(outcome.stray).toEqual({ kind: 'done' });
    expect(outcome.nodes.a).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(outcome.nodes.b).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('reads no node after the refused write on the memory store, with the same outcome as on DynamoDB', async () => {
    // Prepare
    const store = new MemoryRunStore();
    const onDynamo = await lostClaims((await dynamoStore()).store, async (act) => act());

    // Act
    const outcome = await lostClaims(store, async (act) => {
      const before = new Map(store.calls);
      await act();
      return Object.fromEntries(
        [...store.calls].flatMap(([method, n]) => {
          const made = n - (before.get(method) ?? 0);
          return made > 0 ? [[method, made]] : [];
        }),
      );
    });

    // Assess
    expect(outcome.duplicateCost).toEqual({ getRun: 1, tryUpdateNode: 1 });
    expect(outcome.strayCost).toEqual({ getRun: 1, tryUpdateNode: 1 });
    expect(outcome.duplicate).toEqual(onDynamo.duplicate);
    expect(outcome.stray).toEqual(onDynamo.stray);
    expect(outcome.status).toBe(onDynamo.status);
    expect(outcome.nodes.a?.status).toBe(onDynamo.nodes.a?.status);
    expect(outcome.nodes.b?.status).toBe(onDynamo.nodes.b?.status);
  });
});
