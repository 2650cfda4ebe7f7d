/**
 * TriggerStore in the control table (`CONTROL_TABLE`, string keys `pk`/`sk`):
 *
 * | item           | pk                         | sk            | attributes                          |
 * | -------------- | -------------------------- | ------------- | ----------------------------------- |
 * | trigger        | `T#<tenant>`               | `TRG#<id>`    | json (the record), type, enabled    |
 * | hook pointer   | `HOOK#<hookId>`            | `HOOK`        | tenant, triggerId                   |
 * | event pointer  | `EVTRG`                    | `E#<tenant>#<id>`| tenant, triggerId                |
 * | firing         | `T#<tenant>#TRG#<id>`      | `F#<at>#<key>`| json (the firing)                   |
 *
 * - A trigger is one JSON attribute (its `inputs` template is arbitrary JSON) and the two
 *   attributes the scheduler's scan filters on. `update` is read, merge, then a put conditional
 *   on the JSON read, retried on a concurrent change.
 * - A webhook's secret is stored as is in the record (not encrypted at rest beyond DynamoDB's own
 *   table encryption): Standard Webhooks verification needs the secret itself.
 * - Event triggers are found through their pointers in the one `EVTRG` partition (a Query, not a
 *   scan of the table); `put` writes or removes the pointer in the same transaction as the trigger.
 * - The firing log is bounded: each `recordFiring` deletes all but the newest 20.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import {
  FIRING_LOG_SIZE,
  type FiringRecord,
  type TriggerChange,
  type TriggerRecord,
  type TriggerStore,
} from '../../ports/trigger-store.ts';
import { decodeKeyCursor, encodeKeyCursor } from './key-cursor.ts';
import { queryPrefix } from './query-prefix.ts';

export interface DynamoDbTriggerStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const UPDATE_ATTEMPTS = 5;
/** The partition of event-trigger pointers. */
const EVENT_PK = 'EVTRG';
/** Triggers read at once by `listEvent`. */
const READS_AT_ONCE = 25;

/**
 * Triggers, hook pointers and firing logs in DynamoDB.
 * @example new DynamoDbTriggerStore({ client: doc, tableName: 'skein-control' })
 */
export class DynamoDbTriggerStore implements TriggerStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDbTriggerStoreOptions) {
    this.doc = options.client;
    this.tableName = options.tableName;
  }

  async put(record: TriggerRecord): Promise<void> {
    const TableName = this.tableName;
    const hook = record.webhook;
    const pointer = { tenant: record.tenant, triggerId: record.triggerId };
    const eventPointer = eventKey(record.tenant, record.triggerId);
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: triggerItem(record) } },
          ...(hook ? [{ Put: { TableName, Item: { ...hookKey(hook.hookId), ...pointer } } }] : []),
          record.event
            ? { Put: { TableName, Item: { ...eventPointer, ...pointer } } }
            : { Delete: { TableName, Key: eventPointer } },
        ],
      }),
    );
  }

  async get(tenant: string, triggerId: string): Promise<TriggerRecord | undefined> {
    const item = await this.read(triggerKey(tenant, triggerId));
    return item && recordOf(item);
  }

  async getByHook(hookId: string): Promise<TriggerRecord | undefined> {
    const pointer = await this.read(hookKey(hookId));
    if (!pointer) return undefined;
    const record = await this.get(String(pointer.tenant), String(pointer.triggerId));
    // A pointer left by a trigger that was replaced by one of another type or hook.
    return record?.webhook?.hookId === hookId ? record : undefined;
  }

  async list(tenant: string, page: PageRequest = {}): Promise<Page<TriggerRecord>> {
    const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
    const listing = { pk: `T#${tenant}`, prefix: 'TRG#' };
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
    const records = items.slice(0, limit).map(recordOf);
    return last ? { items: records, cursor: encodeKeyCursor(last) } : { items: records };
  }

  async listCron(): Promise<TriggerRecord[]> {
    const found: TriggerRecord[] = [];
    let start: Item | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(sk, :prefix) AND #type = :cron AND enabled = :yes',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':prefix': 'TRG#', ':cron': 'cron', ':yes': true },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...(out.Items ?? []).map(recordOf));
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  }

  async listEvent(): Promise<TriggerRecord[]> {
    const pointers = await queryPrefix(this.doc, this.tableName, EVENT_PK, 'E#');
    const found: TriggerRecord[] = [];
    for (let i = 0; i < pointers.length; i += READS_AT_ONCE) {
      const batch = pointers.slice(i, i + READS_AT_ONCE);
      const records = await Promise.all(
        batch.map((pointer) => this.get(String(pointer.tenant), String(pointer.triggerId))),
      );
      for (const record of records) if (record?.event && record.enabled) found.push(record);
    }
    return found;
  }

  async update(tenant: string, triggerId: string, change: TriggerChange): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.read(triggerKey(tenant, triggerId));
      if (!item) return false;
      const next = withoutUndefined({ ...recordOf(item), ...change }) as unknown as TriggerRecord;
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: triggerItem(next),
            ConditionExpression: 'json = :read',
            ExpressionAttributeValues: { ':read': item.json },
          }),
        );
        return true;
      } catch (error) {
        const conflict = error instanceof Error && error.name === 'ConditionalCheckFailedException';
        if (!conflict || attempt >= UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  async delete(tenant: string, triggerId: string): Promise<boolean> {
    const record = await this.get(tenant, triggerId);
    if (!record) return false;
    const TableName = this.tableName;
    await this.doc.send(new DeleteCommand({ TableName, Key: triggerKey(tenant, triggerId) }));
    if (record.webhook)
      await this.doc.send(new DeleteCommand({ TableName, Key: hookKey(record.webhook.hookId) }));
    if (record.event) await this.doc.send(new DeleteCommand({ TableName, Key: eventKey(tenant, triggerId) }));
    for (const key of await this.firingKeys(tenant, triggerId)) {
      await this.doc.send(new DeleteCommand({ TableName, Key: key }));
    }
    return true;
  }

  async recordFiring(tenant: string, triggerId: string, firing: FiringRecord): Promise<void> {
    const TableName = this.tableName;
    const key = { pk: logPk(tenant, triggerId), sk: `F#${firing.at}#${firing.key}` };
    await this.doc.send(new PutCommand({ TableName, Item: { ...key, json: JSON.stringify(firing) } }));
    const keys = await this.firingKeys(tenant, triggerId);
    for (const old of keys.slice(FIRING_LOG_SIZE)) {
      await this.doc.send(new DeleteCommand({ TableName, Key: old }));
    }
  }

  async firings(tenant: string, triggerId: string, limit = FIRING_LOG_SIZE): Promise<FiringRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': logPk(tenant, triggerId), ':prefix': 'F#' },
        ScanIndexForward: false,
        Limit: Math.max(1, Math.trunc(limit)),
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((item) => JSON.parse(String(item.json)) as FiringRecord);
  }

  /** Keys of the trigger's firing log, newest first. */
  private async firingKeys(tenant: string, triggerId: string): Promise<Key[]> {
    const keys: Key[] = [];
    let start: Item | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': logPk(tenant, triggerId), ':prefix': 'F#' },
          ProjectionExpression: 'pk, sk',
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      keys.push(...((out.Items ?? []) as Key[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  private async read(key: Key): Promise<Item | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}

const triggerKey = (tenant: string, triggerId: string): Key => ({
  pk: `T#${tenant}`,
  sk: `TRG#${triggerId}`,
});
const hookKey = (hookId: string): Key => ({ pk: `HOOK#${hookId}`, sk: 'HOOK' });
const eventKey = (tenant: string, triggerId: string): Key => ({
  pk: EVENT_PK,
  sk: `E#${tenant}#${triggerId}`,
});
const logPk = (tenant: string, triggerId: string) => `T#${tenant}#TRG#${triggerId}`;

function triggerItem(record: TriggerRecord): Item {
  return {
    ...triggerKey(record.tenant, record.triggerId),
    json: JSON.stringify(record),
    type: record.type,
    enabled: record.enabled,
  };
}

const recordOf = (item: Item): TriggerRecord => JSON.parse(String(item.json)) as TriggerRecord;

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
