import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbTriggerStore } from '../../shared/adapters/aws/dynamodb-trigger-store.ts';
import { createTables } from '../../shared/adapters/aws/tables.ts';
import { LOCAL_TABLES } from '../../shared/config.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import { dynamoClients } from '../local/dynamodb-local.ts';

/**
 * Local mode's composition: the same DynamoDB adapters as on AWS, pointed at DynamoDB Local.
 * Tables are created on first use.
 */
export async function localDeps(endpoint: string) {
  const { client, doc } = dynamoClients(endpoint);
  await createTables(client, LOCAL_TABLES);
  return {
    definitions: new DynamoDbDefinitionStore({ client: doc, tableName: LOCAL_TABLES.definitions }),
    apiKeys: new DynamoDbApiKeyStore({ client: doc, tableName: LOCAL_TABLES.control }),
    triggers: new DynamoDbTriggerStore({ client: doc, tableName: LOCAL_TABLES.control }),
    doc,
    runsTable: LOCAL_TABLES.runs,
    clock: systemClock,
    ids: randomIds,
    storeName: 'dynamodb-local',
    close: () => client.destroy(),
  };
}

export type LocalDeps = Awaited<ReturnType<typeof localDeps>>;
