// Large payloads (`npx tsx bench/payloads.bench.ts`): one run on DynamoDB Local (+ fauxqs S3) whose
// node `big` returns 200 KB of JSON, read by its child `read` and by the run outputs, stored
// inline (the DynamoDB store alone) and offloaded (OffloadingRunStore, threshold 64 KB). Reports
// the DynamoDB capacity DynamoDB Local reports for the whole run (`countDynamoDb`: 1 WRU per KB
// written, 1 RRU per 4 KB read strongly, index writes included), the bytes of `big`'s node item
// (attribute names and values) and the S3 requests (the run view's read included).

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { createBucket, s3Client, startFauxqs } from '../functions/local/fauxqs.ts';
import { nodeKey } from '../shared/adapters/aws/dynamodb-run-items.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { S3PayloadStore } from '../shared/adapters/aws/s3-payload-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { OffloadingRunStore } from '../shared/adapters/offloading-run-store.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { flowExecutors } from '../shared/executors/flow.ts';
import { FakeClock } from '../shared/ports/clock.ts';
import type { PayloadStore } from '../shared/ports/payload-store.ts';
import type { RunStore } from '../shared/ports/run-store.ts';
import { WorkflowHarness } from '../shared/testing/workflow-harness.ts';
import { countDynamoDb, diffCounts } from './dynamo-counting.ts';

silenceSdkNodeVersionNotice();
const KB = 1024;
const OUTPUT = { body: 'x'.repeat(200 * KB) };

const dynamo = await startDynamoDbLocal();
const fauxqs = await startFauxqs();
const { client, doc } = dynamoClients(dynamo.endpoint);
const counts = countDynamoDb(client);
const s3 = s3Client(fauxqs.endpoint);
const bucket = await createBucket(s3, 'bench-payloads');
const s3Requests = { put: 0, get: 0 };
const s3Store = new S3PayloadStore({ client: s3, bucket });
const countedS3: PayloadStore = {
  put: (key, bytes, expiresAt) => {
    s3Requests.put += 1;
    return s3Store.put(key, bytes, expiresAt);
  },
  get: (key) => {
    s3Requests.get += 1;
    return s3Store.get(key);
  },
};

async function measure(name: string, offload: boolean) {
  const tables = { definitions: `${name}-d`, control: `${name}-c`, runs: `${name}-r` };
  await createTables(client, tables);
  const inner = new DynamoDbRunStore({ client: doc, tableName: tables.runs });
  const runs: RunStore = offload ? new OffloadingRunStore({ runs: inner, payloads: countedS3 }) : inner;
  const executors = flowExecutors().override({
    type: 'noop',
    execute: async (request) =>
      request.ctx.nodeId === 'big'
        ? { kind: 'succeeded', output: OUTPUT }
        : { kind: 'succeeded', output: request.inputs ?? null },
  });
  const harness = new WorkflowHarness({ clock: new FakeClock(Date.UTC(2100, 0, 1)), runs, executors });
  await harness.publish({
    id: 'large',
    outputs: { length: '{% $nodes.read.output.length %}' },
    nodes: {
      big: { type: 'noop' },
      read: { type: 'noop', needs: ['big'], with: { length: '{% $length($nodes.big.output.body) %}' } },
    },
  });
  const before = structuredClone(counts);
  const s3Before = { ...s3Requests };
  const run = await harness.run('large');
  const spent = diffCounts(counts, before);
  if (run.status !== 'SUCCEEDED') throw new Error(`${name}: ${run.status} ${JSON.stringify(run.error)}`);
  const { Item } = await doc.send(new GetCommand({ TableName: tables.runs, Key: nodeKey(run.runId, 'big') }));
  const itemBytes = Object.entries(Item ?? {}).reduce(
    (sum, [key, value]) =>
      sum +
      Buffer.byteLength(key) +
      Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value)),
    0,
  );
  return {
    store: name,
    'node item bytes (big)': itemBytes,
    'WRU (whole run)': spent.writeUnits,
    'RRU (whole run)': spent.readUnits,
    'S3 PUT': s3Requests.put - s3Before.put,
    'S3 GET': s3Requests.get - s3Before.get,
  };
}

try {
  const rows = [await measure('inline', false), await measure('offloaded', true)];
  console.table(rows);
} finally {
  client.destroy();
  s3.destroy();
  await fauxqs.stop();
  await dynamo.stop();
}
