/**
 * Key schemas of Skein's DynamoDB tables, shared by local table creation, tests and (by shape)
 * the CDK store construct. Every table uses generic string keys `pk`/`sk`; the item layouts are
 * documented in the adapters that own them.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { LISTED_RUN_ATTRIBUTES } from './dynamodb-run-items.ts';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S';
}

/** A global secondary index. */
export interface IndexDescription {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Attributes the index carries besides the keys. @default every attribute (ALL) */
  readonly include?: readonly string[];
}

export interface TableDescription {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalIndexes?: readonly IndexDescription[];
  /** The TTL attribute (epoch seconds). */
  readonly timeToLiveAttribute?: string;
  /** The table's change stream. */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
}

/** Workflow summaries and versions: see `dynamodb-definition-store.ts`. */
export const DEFINITIONS_TABLE: TableDescription = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
};

/**
 * Low-volume control data: API keys (`dynamodb-api-key-store.ts`), subscriptions and their
 * delivery attempts (`dynamodb-subscription-store.ts`; attempts expire by TTL on `expiresAt`).
 */
export const CONTROL_TABLE: TableDescription = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
};

/**
 * Runs, their inputs, nodes, done-sets and idempotency keys: see `dynamodb-run-store.ts`. Every
 * index sorts by the run's ULID `runId` (newest first when read backwards) and carries the run's
 * fields except its outputs (`LISTED_RUN_ATTRIBUTES`). TTL is on `expiresAt`; the stream
 * (NEW_AND_OLD_IMAGES) feeds the monitor.
 */
export const RUNS_TABLE: TableDescription = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [
    {
      indexName: 'byTenant',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'runId', type: 'S' },
      include: LISTED_RUN_ATTRIBUTES,
    },
    {
      indexName: 'byWorkflow',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'runId', type: 'S' },
      include: LISTED_RUN_ATTRIBUTES,
    },
    {
      indexName: 'byStatus',
      partitionKey: { name: 'gsi3pk', type: 'S' },
      sortKey: { name: 'runId', type: 'S' },
      include: LISTED_RUN_ATTRIBUTES,
    },
    // Sparse: only runs that are QUEUED, RUNNING or PAUSED or have a pending control carry
    // `activePk`, one of ACTIVE_SHARDS values (a hash of the run id).
    {
      indexName: 'active',
      partitionKey: { name: 'activePk', type: 'S' },
      sortKey: { name: 'runId', type: 'S' },
      include: LISTED_RUN_ATTRIBUTES,
    },
  ],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
};

export interface TableNames {
  readonly definitions: string;
  readonly control: string;
  readonly runs: string;
}

/**
 * Creates the tables (on-demand billing) unless they exist, and waits until they are ACTIVE.
 * Idempotent, for local mode and tests; on AWS the CDK stack owns the tables.
 * @example await createTables(client, { definitions: 'skein-definitions', control: 'skein-control', runs: 'skein-runs' });
 */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const tables: [string, TableDescription][] = [
    [names.definitions, DEFINITIONS_TABLE],
    [names.control, CONTROL_TABLE],
    [names.runs, RUNS_TABLE],
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
  if (table.timeToLiveAttribute !== undefined) {
    const TimeToLiveSpecification = { AttributeName: table.timeToLiveAttribute, Enabled: true };
    try {
      await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification }));
    } catch (error) {
      // A table created before (local mode reuses its tables) already has TTL on.
      if (!(error instanceof Error && /already enabled/i.test(error.message))) throw error;
    }
  }
}

export function createTableInput(tableName: string, table: TableDescription): CreateTableCommandInput {
  const { partitionKey, sortKey, globalIndexes = [], stream } = table;
  const keys = [
    partitionKey,
    sortKey,
    ...globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  const attributes = new Map(keys.map((key) => [key.name, key.type]));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(partitionKey, sortKey),
    ...(globalIndexes.length > 0 && {
      GlobalSecondaryIndexes: globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection:
          index.include === undefined
            ? { ProjectionType: 'ALL' as const }
            : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.include] },
      })),
    }),
    ...(stream && { StreamSpecification: { StreamEnabled: true, StreamViewType: stream } }),
  };
}

const keySchema = (partitionKey: KeyAttribute, sortKey: KeyAttribute) => [
  { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
  { AttributeName: sortKey.name, KeyType: 'RANGE' as const },
];
