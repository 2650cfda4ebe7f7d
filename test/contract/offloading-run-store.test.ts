import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createBucket, type Fauxqs, s3Client, startFauxqs } from '../../functions/local/fauxqs.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { S3PayloadStore } from '../../shared/adapters/aws/s3-payload-store.ts';
import { MemoryPayloadStore } from '../../shared/adapters/memory/payload-store.ts';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { localTables } from '../setup/dynamo.ts';
import { describeRunStoreContract } from './run-store.contract.ts';
import { describeRunStoreConditionContract } from './run-store-conditions.contract.ts';
import { describeRunStoreSweepContract } from './run-store-sweep.contract.ts';

// The whole RunStore contract through the decorator with a threshold of 0 bytes: every value it
// can offload is offloaded, so each read the contract checks resolves a reference.
let local: Awaited<ReturnType<typeof localTables>>;
let plainDoc: DynamoDBDocumentClient;
let server: Fauxqs;
let s3: S3Client;
let bucket: string;
beforeAll(async () => {
  local = await localTables('offload');
  plainDoc = DynamoDBDocumentClient.from(local.client);
  server = await startFauxqs();
  s3 = s3Client(server.endpoint);
  bucket = await createBucket(s3, 'offload-contract');
});
afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

const onMemory = async () =>
  new OffloadingRunStore({
    runs: new MemoryRunStore(),
    payloads: new MemoryPayloadStore(),
    thresholdBytes: 0,
  });
const onDynamoDb = async () =>
  new OffloadingRunStore({
    runs: new DynamoDbRunStore({ client: plainDoc, tableName: local.tables.runs }),
    payloads: new S3PayloadStore({ client: s3, bucket }),
    thresholdBytes: 0,
  });

describeRunStoreContract('offloading, memory', onMemory);
describeRunStoreConditionContract('offloading, memory', onMemory, { offloads: true });
describeRunStoreSweepContract('offloading, memory', onMemory);
describeRunStoreContract('offloading, DynamoDB + S3 on fauxqs', onDynamoDb);
describeRunStoreConditionContract('offloading, DynamoDB + S3 on fauxqs', onDynamoDb, { offloads: true });
describeRunStoreSweepContract('offloading, DynamoDB + S3 on fauxqs', onDynamoDb);
