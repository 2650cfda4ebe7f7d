import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll } from 'vitest';
import { DynamoDbTriggerStore } from '../../shared/adapters/aws/dynamodb-trigger-store.ts';
import { MemoryTriggerStore } from '../../shared/adapters/memory/trigger-store.ts';
import { localTables } from '../setup/dynamo.ts';
import { describeTriggerStoreContract } from './trigger-store.contract.ts';

let local: Awaited<ReturnType<typeof localTables>>;
// A document client with default marshalling: the adapter must not rely on removeUndefinedValues.
let plainDoc: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await localTables('triggers');
  plainDoc = DynamoDBDocumentClient.from(local.client);
});

describeTriggerStoreContract('memory', async () => new MemoryTriggerStore());
describeTriggerStoreContract(
  'DynamoDB',
  async () => new DynamoDbTriggerStore({ client: plainDoc, tableName: local.tables.control }),
);
