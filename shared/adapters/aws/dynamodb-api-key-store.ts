/**
 * ApiKeyStore in the control table (`CONTROL_TABLE`): one item per key, pk `KEY#<sha256 hex>`,
 * sk `KEY`, holding the ApiKeyRecord. Only the hash is stored, so a leaked table leaks no key.
 * Lookups are by exact hash (GetItem, strongly consistent, so a key works right after it is made).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyStore } from '../../ports/api-key-store.ts';

export interface DynamoDbApiKeyStoreOptions {
  /** A document client; build it once per cold start. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * API keys by hash in DynamoDB.
 * @example new DynamoDbApiKeyStore({ client: doc, tableName: 'skein-control' })
 */
export class DynamoDbApiKeyStore implements ApiKeyStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDbApiKeyStoreOptions) {
    this.doc = options.client;
    this.tableName = options.tableName;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    const { keyHash, tenant, createdAt, label } = record;
    const Item = { ...keyOf(keyHash), keyHash, tenant, createdAt, ...(label !== undefined && { label }) };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item }));
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(keyHash), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { tenant, createdAt, label } = Item as ApiKeyRecord;
    return { keyHash, tenant, createdAt, ...(label !== undefined && { label }) };
  }
}

const keyOf = (keyHash: string) => ({ pk: `KEY#${keyHash}`, sk: 'KEY' });
