/**
 * Key schemas of Skein's DynamoDB tables, shared by local table creation, tests and (by shape)
 * the CDK store construct. Every table uses generic string keys `pk`/`sk`; the item layouts are
 * documented in the adapters that own them.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

export interface TableDescription {
  readonly partitionKey: { readonly name: string; readonly type: 'S' };
  readonly sortKey: { readonly name: string; readonly type: 'S' };
}

/** Workflow summaries and versions: see `dynamodb-definition-store.ts`. */
export const DEFINITIONS_TABLE: TableDescription = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
};

/** Low-volume control data: API keys (`dynamodb-api-key-store.ts`), later triggers. */
export const CONTROL_TABLE: TableDescription = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
};

export interface TableNames {
  readonly definitions: string;
  readonly control: string;
}

/**
 * Creates the tables (on-demand billing) unless they exist, and waits until they are ACTIVE.
 * Idempotent, for local mode and tests; on AWS the CDK stack owns the tables.
 * @example await createTables(client, { definitions: 'skein-definitions', control: 'skein-control' });
 */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const tables: [string, TableDescription][] = [
    [names.definitions, DEFINITIONS_TABLE],
    [names.control, CONTROL_TABLE],
  ];
  await Promise.all(tables.map(([name, description]) => createTable(client, name, description)));
}

async function createTable(client: DynamoDBClient, tableName: string, table: TableDescription) {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName, table)));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  await waitUntilTableExists(
    { client, minDelay: 1, maxDelay: 2, maxWaitTime: 120 },
    { TableName: tableName },
  );
}

export function createTableInput(tableName: string, table: TableDescription): CreateTableCommandInput {
  const { partitionKey, sortKey } = table;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      { AttributeName: sortKey.name, AttributeType: sortKey.type },
    ],
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
  };
}
