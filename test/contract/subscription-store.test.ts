import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll } from 'vitest';
import { DynamoDbSubscriptionStore } from '../../shared/adapters/aws/dynamodb-subscription-store.ts';
import { MemorySubscriptionStore } from '../../shared/adapters/memory/subscription-store.ts';
import { localTables } from '../setup/dynamo.ts';
import { describeSubscriptionStoreContract } from './subscription-store.contract.ts';

let local: Awaited<ReturnType<typeof localTables>>;
// Default marshalling: the adapter must not rely on removeUndefinedValues.
let plainDoc: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await localTables('subs');
  plainDoc = DynamoDBDocumentClient.from(local.client);
});

describeSubscriptionStoreContract('memory', async () => new MemorySubscriptionStore());
describeSubscriptionStoreContract(
  'DynamoDB',
  async () => new DynamoDbSubscriptionStore({ client: plainDoc, tableName: local.tables.control }),
);
