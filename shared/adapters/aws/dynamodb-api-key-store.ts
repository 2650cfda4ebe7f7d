/**
 * ApiKeyStore in the control table (`CONTROL_TABLE`, string keys `pk`/`sk`):
 *
 * | item        | pk             | sk            | attributes                                         |
 * | ----------- | -------------- | ------------- | -------------------------------------------------- |
 * | key         | `KEY#<sha256>` | `KEY`         | keyId, tenant, createdAt, label                    |
 * | tenant's key| `T#<tenant>`   | `KEY#<keyId>` | keyHash, tenant, createdAt, label, lastUsedAt      |
 *
 * - The key item is the authorizer's lookup: one strongly consistent GetItem by hash, so a key
 *   works right after it is made. Only hashes are stored, so a leaked table leaks no key.
 * - The tenant's item is the listing (one Query of the tenant's partition, oldest first: key ids
 *   are ULIDs) and the way from a key id back to its hash when revoking. It is also the only item
 *   `recordUse` writes, so recording a use never touches the item the authorizer reads.
 * - `put` writes both items in one transaction and `revoke` deletes both in one, so the two views
 *   never disagree: there is no moment where a listed key cannot be revoked or a revoked key
 *   still authenticates. A key item without `keyId` (made before key ids existed) cannot be
 *   listed or revoked, so it no longer resolves: make a new key.
 * - No GSI: both access patterns are key lookups on the base table, strongly consistent.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from '../../ports/api-key-store.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import { decodeKeyCursor, encodeKeyCursor } from './key-cursor.ts';

export interface DynamoDbApiKeyStoreOptions {
  /** A document client; build it once per cold start. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

/** How often `revoke` retries a transaction cancelled by a concurrent write (a `recordUse`). */
const REVOKE_ATTEMPTS = 3;

/**
 * API keys by hash and by tenant in DynamoDB.
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
    const { keyId, keyHash, tenant, createdAt, label } = record;
    const shared = { keyId, tenant, createdAt, ...(label !== undefined && { label }) };
    const ConditionExpression = 'attribute_not_exists(pk)';
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: { TableName: this.tableName, Item: { ...hashKey(keyHash), ...shared }, ConditionExpression },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...tenantKey(tenant, keyId), ...shared, keyHash },
              ConditionExpression,
            },
          },
        ],
      }),
    );
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: hashKey(keyHash), ConsistentRead: true }),
    );
    if (!Item || typeof Item.keyId !== 'string') return undefined;
    const { keyId, tenant, createdAt, label } = Item as Omit<ApiKeyRecord, 'keyHash'>;
    return { keyId, keyHash, tenant, createdAt, ...(label !== undefined && { label }) };
  }

  async list(tenant: string, page: PageRequest = {}): Promise<Page<ApiKeySummary>> {
    const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
    const listing = { pk: `T#${tenant}`, prefix: 'KEY#' };
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': listing.pk, ':prefix': listing.prefix },
        Limit: limit + 1,
        ConsistentRead: true,
        ExclusiveStartKey: page.cursor === undefined ? undefined : decodeKeyCursor(page.cursor, listing),
      }),
    );
    const items = out.Items ?? [];
    const last = items.length > limit ? items[limit - 1] : out.LastEvaluatedKey;
    const summaries = items.slice(0, limit).map(summaryOf);
    return last ? { items: summaries, cursor: encodeKeyCursor(last) } : { items: summaries };
  }

  async revoke(tenant: string, keyId: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: tenantKey(tenant, keyId), ConsistentRead: true }),
      );
      if (!Item) return false;
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.tableName,
                  Key: hashKey(String(Item.keyHash)),
                  ConditionExpression: 'attribute_not_exists(pk) OR tenant = :tenant',
                  ExpressionAttributeValues: { ':tenant': tenant },
                },
              },
              {
                Delete: {
                  TableName: this.tableName,
                  Key: tenantKey(tenant, keyId),
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === undefined) throw error;
        // The listing item vanished: a concurrent revoke won.
        if (reasons[1] === 'ConditionalCheckFailed') return false;
        if (!reasons.includes('TransactionConflict') || attempt >= REVOKE_ATTEMPTS) throw error;
      }
    }
  }

  async recordUse(tenant: string, keyId: string, usedAt: string, staleBefore: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tenantKey(tenant, keyId),
          UpdateExpression: 'SET lastUsedAt = :usedAt',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :staleBefore)',
          ExpressionAttributeValues: { ':usedAt': usedAt, ':staleBefore': staleBefore },
        }),
      );
    } catch (error) {
      // Recorded recently by another instance, or revoked: nothing to do either way.
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    }
  }
}

const hashKey = (keyHash: string): Key => ({ pk: `KEY#${keyHash}`, sk: 'KEY' });
const tenantKey = (tenant: string, keyId: string): Key => ({ pk: `T#${tenant}`, sk: `KEY#${keyId}` });

function summaryOf(item: Item): ApiKeySummary {
  const { keyId, tenant, createdAt, label, lastUsedAt } = item as unknown as ApiKeySummary;
  return {
    keyId,
    tenant,
    createdAt,
    ...(label !== undefined && { label }),
    ...(lastUsedAt !== undefined && { lastUsedAt }),
  };
}

/** The codes of a cancelled transaction, one per item in order; undefined for any other error. */
function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code);
}
