/**
 * SubscriptionStore in the control table (string keys `pk`/`sk`, TTL `expiresAt`):
 *
 * | item         | pk                      | sk                              | attributes                                      |
 * | ------------ | ----------------------- | ------------------------------- | ----------------------------------------------- |
 * | subscription | `T#<tenant>`            | `SUB#<id>`                      | endpoint and filter (JSON), secret, bindingArn, times |
 * | delivery     | `T#<tenant>#SUB#<id>`   | `D#<at>#<messageId>#<attempt>`  | the attempt, `expiresAt`                        |
 *
 * A tenant's subscriptions are one Query of its partition (they sit beside its API keys,
 * `KEY#...`); the deliverer reads them on each batch (cached briefly by the caller). Attempts get
 * their own partition per subscription, so a busy endpoint's log never slows the listing, and
 * expire after `DELIVERY_RETENTION_DAYS` by TTL: removing a subscription deletes one item.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DeliveryAttempt, Subscription } from '../../domain/subscriptions.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import { deliveryKeyOf, type SubscriptionStore } from '../../ports/subscription-store.ts';
import { decodeKeyCursor, encodeKeyCursor } from './key-cursor.ts';
import { queryPrefix } from './query-prefix.ts';

export interface DynamoDbSubscriptionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

type Item = Record<string, unknown>;

const SUB_PREFIX = 'SUB#';
const DELIVERY_PREFIX = 'D#';
const subscriptionKey = (tenant: string, id: string) => ({ pk: `T#${tenant}`, sk: `${SUB_PREFIX}${id}` });
const deliveryPartition = (tenant: string, id: string) => `T#${tenant}#${SUB_PREFIX}${id}`;

/**
 * Subscriptions and delivery attempts in DynamoDB.
 * @example new DynamoDbSubscriptionStore({ client: doc, tableName: 'skein-control' })
 */
export class DynamoDbSubscriptionStore implements SubscriptionStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDbSubscriptionStoreOptions) {
    this.doc = options.client;
    this.tableName = options.tableName;
  }

  async put(subscription: Subscription): Promise<void> {
    const { tenant, id, endpoint, filter, secret, bindingArn, createdAt, updatedAt } = subscription;
    const Item = {
      ...subscriptionKey(tenant, id),
      tenant,
      id,
      endpoint: JSON.stringify(endpoint),
      filter: JSON.stringify(filter),
      createdAt,
      updatedAt,
      ...(secret !== undefined && { secret }),
      ...(bindingArn !== undefined && { bindingArn }),
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item }));
  }

  async get(tenant: string, id: string): Promise<Subscription | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: subscriptionKey(tenant, id), ConsistentRead: true }),
    );
    return Item && subscriptionOf(Item);
  }

  async list(tenant: string): Promise<Subscription[]> {
    const items = await queryPrefix(this.doc, this.tableName, `T#${tenant}`, SUB_PREFIX);
    return items.map(subscriptionOf);
  }

  async remove(tenant: string, id: string): Promise<boolean> {
    const { Attributes } = await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: subscriptionKey(tenant, id),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async recordDelivery(attempt: DeliveryAttempt, expiresAt: number): Promise<void> {
    const Item = {
      pk: deliveryPartition(attempt.tenant, attempt.subscriptionId),
      sk: `${DELIVERY_PREFIX}${deliveryKeyOf(attempt)}`,
      ...stripUndefined(attempt),
      expiresAt,
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item }));
  }

  async listDeliveries(tenant: string, id: string, page: PageRequest = {}): Promise<Page<DeliveryAttempt>> {
    const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
    const pk = deliveryPartition(tenant, id);
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': DELIVERY_PREFIX },
        ScanIndexForward: false,
        Limit: limit + 1,
        ConsistentRead: true,
        ...(page.cursor !== undefined && {
          ExclusiveStartKey: decodeKeyCursor(page.cursor, { pk, prefix: DELIVERY_PREFIX }),
        }),
      }),
    );
    const items = out.Items ?? [];
    const last = items.length > limit ? items[limit - 1] : out.LastEvaluatedKey;
    const attempts = items.slice(0, limit).map(attemptOf);
    return last ? { items: attempts, cursor: encodeKeyCursor(last) } : { items: attempts };
  }
}

function subscriptionOf(item: Item): Subscription {
  const { tenant, id, endpoint, filter, secret, bindingArn, createdAt, updatedAt } = item as Record<
    string,
    string
  >;
  return {
    tenant: String(tenant),
    id: String(id),
    endpoint: JSON.parse(String(endpoint)),
    filter: JSON.parse(String(filter)),
    createdAt: String(createdAt),
    updatedAt: String(updatedAt),
    ...(secret !== undefined && { secret }),
    ...(bindingArn !== undefined && { bindingArn }),
  };
}

function attemptOf(item: Item): DeliveryAttempt {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...attempt } = item;
  return attempt as unknown as DeliveryAttempt;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
