import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import type { WorkflowDefinition } from '../../shared/domain/definition-schema.ts';
import { localTables } from '../setup/dynamo.ts';
import { describeApiKeyStoreContract } from './api-key-store.contract.ts';
import { describeDefinitionStoreContract } from './definition-store.contract.ts';
import { describeRunStoreContract } from './run-store.contract.ts';
import { describeRunStoreConditionContract } from './run-store-conditions.contract.ts';
import { describeRunStoreSweepContract } from './run-store-sweep.contract.ts';

let local: Awaited<ReturnType<typeof localTables>>;
// A document client with default marshalling: the adapters must not rely on removeUndefinedValues.
let plainDoc: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await localTables('contract');
  plainDoc = DynamoDBDocumentClient.from(local.client);
});

const definitionStore = () =>
  new DynamoDbDefinitionStore({ client: plainDoc, tableName: local.tables.definitions });

describeDefinitionStoreContract('DynamoDB', async () => definitionStore());
describeApiKeyStoreContract(
  'DynamoDB',
  async () => new DynamoDbApiKeyStore({ client: plainDoc, tableName: local.tables.control }),
);
describeRunStoreContract(
  'DynamoDB',
  async () => new DynamoDbRunStore({ client: plainDoc, tableName: local.tables.runs }),
);
describeRunStoreConditionContract(
  'DynamoDB',
  async () => new DynamoDbRunStore({ client: plainDoc, tableName: local.tables.runs }),
);
describeRunStoreSweepContract(
  'DynamoDB',
  async () => new DynamoDbRunStore({ client: plainDoc, tableName: local.tables.runs }),
);

describe('DynamoDbDefinitionStore', () => {
  it('splits a large compressed definition into chunk items outside the version range', async () => {
    // Prepare
    const store = definitionStore();
    const nodes = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`n${i}`, { type: 'noop', description: noise(2000) }]),
    );
    const definition = { nodes } as WorkflowDefinition;
    const version = {
      tenant: 'chunks',
      workflowId: 'big',
      version: '1.0.0',
      definition,
      digest: 'd',
      publishedAt: 't',
      dependencies: [],
    };
    const workflow = {
      tenant: 'chunks',
      workflowId: 'big',
      latest: '1.0.0',
      heads: { 1: '1.0.0' },
      versionCount: 1,
      updatedAt: 't',
      revision: 1,
    };

    // Act
    await store.putVersion(version, workflow, undefined);

    // Assess
    const { Items = [] } = await local.doc.send(
      new QueryCommand({
        TableName: local.tables.definitions,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'T#chunks#W#big' },
      }),
    );
    const sortKeys = Items.map((item) => String(item.sk));
    expect(sortKeys.filter((sk) => sk.startsWith('C#')).length).toBeGreaterThan(1);
    expect(sortKeys.filter((sk) => sk.startsWith('V#'))).toHaveLength(1);
    expect((await store.getVersion('chunks', 'big', '1.0.0'))?.definition).toEqual(definition);
  });

  it('rejects a cursor taken from another listing', async () => {
    // Prepare
    const store = definitionStore();
    const foreign = Buffer.from(JSON.stringify({ pk: 'T#other', sk: 'W#orders' })).toString('base64url');

    // Act
    const attempt = store.listVersions('acme', 'orders', { cursor: foreign });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });
});

/** Printable text that gzip barely shrinks. */
function noise(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}
