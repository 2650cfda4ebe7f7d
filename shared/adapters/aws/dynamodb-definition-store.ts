/**
 * DefinitionStore on one DynamoDB table with string keys `pk`/`sk` (`DEFINITIONS_TABLE`).
 *
 * | item             | pk                          | sk                   | attributes                      |
 * |------------------|-----------------------------|----------------------|---------------------------------|
 * | workflow summary | `T#<tenant>`                | `W#<workflowId>`     | the WorkflowRecord fields       |
 * | version          | `T#<tenant>#W#<workflowId>` | `V#<sortKey>`        | VersionRecord minus definition; |
 * |                  |                             |                      | `body` (B) or `parts` (N)       |
 * | body chunk       | `T#<tenant>#W#<workflowId>` | `C#<sortKey>#<nnn>`  | `body` (B)                      |
 * | dependent        | `T#<tenant>#W#<calledId>`   | `D#<callerId>#<sortKey>` | `callerId`, `callerVersion`, `calls` |
 *
 * - `<sortKey>` is `versionSortKey(version)`: its byte order is semver precedence, so versions
 *   list newest first with `ScanIndexForward: false` and no sorting in code.
 * - The definition is gzipped JSON in a binary `body`: definitions reach 1 MB, items 400 KB.
 *   A body over 350 KB compressed goes into chunk items written in the same transaction and
 *   reassembled (in sk order) on read. Chunks use their own `C#` prefix, not `V#<key>#P#<n>`, so
 *   listing versions is a pure key range: a FilterExpression is applied after `Limit`, which
 *   would give short or empty pages.
 * - A version that calls other workflows writes one dependent item into each called workflow's
 *   partition, so `listDependents` is one query of the called workflow's `D#` range.
 * - Publishing is one TransactWriteItems: the version (and its chunks and dependent items) with
 *   `attribute_not_exists(pk)`, and the summary with `attribute_not_exists(pk)` for a first
 *   publish or `revision = :expected` after, and each called workflow's summary moved on from the
 *   revision its contract was checked at (`revision = :seen`). A cancellation for ConditionalCheckFailed, or for
 *   TransactionConflict (another publish of the same workflow in flight), is a
 *   `ConcurrentPublishError`: in both cases re-reading and retrying is the right move.
 * - Listings query one partition by sk prefix with `Limit = limit + 1`, so a cursor is returned
 *   only when another item exists. The cursor is base64url(JSON of the last key returned) and is
 *   checked to belong to the same listing. Reads are strongly consistent (publish, then list).
 * - Workflow ids cannot contain `#` (WORKFLOW_ID), which keeps `T#<tenant>#W#<id>` unambiguous.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { WorkflowDefinition } from '../../domain/definition-schema.ts';
import type { WorkflowDependency } from '../../domain/dependencies.ts';
import { versionSortKey } from '../../domain/versions.ts';
import {
  ConcurrentPublishError,
  type DefinitionStore,
  type DependentRecord,
  type VersionRecord,
  type VersionSummary,
  type WorkflowRecord,
} from '../../ports/definition-store.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import { decodeKeyCursor, encodeKeyCursor } from './key-cursor.ts';
import { queryPrefix } from './query-prefix.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Largest body kept in one item (an item may hold 400 KB, keys and attributes included). */
export const CHUNK_BYTES = 350 * 1024;
/** A transaction carries at most 4 MB; 1 MB definitions compress far below this. */
const MAX_PARTS = 10;

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

export interface DynamoDbDefinitionStoreOptions {
  /** A document client; build it once per cold start. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Versioned definitions in DynamoDB.
 * @example new DynamoDbDefinitionStore({ client: doc, tableName: 'skein-definitions' })
 */
export class DynamoDbDefinitionStore implements DefinitionStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDbDefinitionStoreOptions) {
    this.doc = options.client;
    this.tableName = options.tableName;
  }

  async getWorkflow(tenant: string, workflowId: string): Promise<WorkflowRecord | undefined> {
    const item = await this.get(workflowKey(tenant, workflowId));
    return item && toWorkflow(item);
  }

  async getVersion(tenant: string, workflowId: string, version: string): Promise<VersionRecord | undefined> {
    const key = versionKey(tenant, workflowId, version);
    const item = await this.get(key);
    if (!item) return undefined;
    const body =
      item.parts === undefined ? (item.body as Uint8Array) : await this.readChunks(key, item.parts);
    const definition = JSON.parse((await gunzipAsync(body)).toString('utf8')) as WorkflowDefinition;
    return {
      ...toSummary(item),
      tenant,
      workflowId,
      definition,
      dependencies: item.dependencies,
    } as VersionRecord;
  }

  async putVersion(
    version: VersionRecord,
    workflow: WorkflowRecord,
    expectedRevision: number | undefined,
    calledRevisions: Readonly<Record<string, number>> = {},
  ) {
    const { tenant, workflowId, definition, ...attributes } = version;
    const key = versionKey(tenant, workflowId, version.version);
    const parts = split(await gzipAsync(JSON.stringify(definition)));
    if (parts.length > MAX_PARTS) {
      throw new Error(
        `${workflowId}@${version.version} compresses to more than ${MAX_PARTS} x ${CHUNK_BYTES} bytes`,
      );
    }
    const body = parts.length === 1 ? { body: parts[0] } : { parts: parts.length };
    const chunks = parts.length === 1 ? [] : parts.map((part, n) => ({ ...chunkKey(key, n), body: part }));
    const summaryCondition =
      expectedRevision === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'revision = :expected',
            ExpressionAttributeValues: { ':expected': expectedRevision },
          };
    const TableName = this.tableName;
    const TransactItems: TransactWriteCommandInput['TransactItems'] = [
      {
        Put: {
          TableName,
          Item: withoutUndefined({ ...key, tenant, workflowId, ...attributes, ...body }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...[...chunks, ...dependentItems(version)].map((Item) => ({
        Put: { TableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
      })),
      {
        Put: {
          TableName,
          Item: withoutUndefined({ ...toWorkflow(workflow), ...workflowKey(tenant, workflowId) }),
          ...summaryCondition,
        },
      },
      ...Object.entries(calledRevisions).map(([calledId, revision]) => ({
        Update: {
          TableName,
          Key: workflowKey(tenant, calledId),
          UpdateExpression: 'SET revision = :next',
          ConditionExpression: 'revision = :seen',
          ExpressionAttributeValues: { ':seen': revision, ':next': revision + 1 },
        },
      })),
    ];
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems }));
    } catch (error) {
      if (lostRace(error)) throw new ConcurrentPublishError(workflowId);
      throw error;
    }
  }

  async listWorkflows(tenant: string, page: PageRequest = {}): Promise<Page<WorkflowRecord>> {
    const result = await this.query({ pk: `T#${tenant}`, prefix: 'W#', forward: true }, page);
    return { ...result, items: result.items.map(toWorkflow) };
  }

  async listDependents(tenant: string, workflowId: string): Promise<DependentRecord[]> {
    const out: DependentRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.query(
        { pk: versionPk(tenant, workflowId), prefix: 'D#', forward: true },
        { limit: MAX_PAGE_SIZE, ...(cursor !== undefined && { cursor }) },
      );
      for (const item of page.items) {
        out.push({
          workflowId: String(item.callerId),
          version: String(item.callerVersion),
          calls: item.calls as WorkflowDependency[],
        });
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  async listVersions(
    tenant: string,
    workflowId: string,
    page: PageRequest = {},
  ): Promise<Page<VersionSummary>> {
    const pk = versionPk(tenant, workflowId);
    const projection = ['pk', 'sk', 'version', 'digest', 'publishedAt', 'description'];
    const result = await this.query({ pk, prefix: 'V#', forward: false, projection }, page);
    return { ...result, items: result.items.map(toSummary) };
  }

  private async get(Key: Key): Promise<Item | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    return Item;
  }

  private async readChunks(key: Key, parts: unknown): Promise<Buffer> {
    const prefix = `C#${key.sk.slice(2)}#`;
    const items = await queryPrefix(this.doc, this.tableName, key.pk, prefix);
    const bodies = items.map((item) => item.body as Uint8Array);
    if (bodies.length !== parts) {
      throw new Error(`definition of ${key.pk} ${key.sk} has ${bodies.length} of its ${String(parts)} parts`);
    }
    return Buffer.concat(bodies);
  }

  private async query(
    listing: { pk: string; prefix: string; forward: boolean; projection?: string[] },
    page: PageRequest,
  ): Promise<{ items: Item[]; cursor?: string }> {
    const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
    const names = listing.projection?.map((name, i) => [`#a${i}`, name] as const);
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': listing.pk, ':prefix': listing.prefix },
        ...(names && {
          ProjectionExpression: names.map(([alias]) => alias).join(', '),
          ExpressionAttributeNames: Object.fromEntries(names),
        }),
        ScanIndexForward: listing.forward,
        Limit: limit + 1,
        ConsistentRead: true,
        ExclusiveStartKey: page.cursor === undefined ? undefined : decodeKeyCursor(page.cursor, listing),
      }),
    );
    const items = out.Items ?? [];
    const last = items.length > limit ? items[limit - 1] : out.LastEvaluatedKey;
    const pageItems = items.slice(0, limit);
    return last ? { items: pageItems, cursor: encodeKeyCursor(last) } : { items: pageItems };
  }
}

const workflowKey = (tenant: string, workflowId: string): Key => ({
  pk: `T#${tenant}`,
  sk: `W#${workflowId}`,
});
const versionPk = (tenant: string, workflowId: string) => `T#${tenant}#W#${workflowId}`;
const versionKey = (tenant: string, workflowId: string, version: string): Key => ({
  pk: versionPk(tenant, workflowId),
  sk: `V#${versionSortKey(version)}`,
});
/** One item per workflow a version calls, in the called workflow's partition. */
function dependentItems(version: VersionRecord): Item[] {
  const byCalled = new Map<string, WorkflowDependency[]>();
  for (const call of version.dependencies) {
    byCalled.set(call.workflowId, [...(byCalled.get(call.workflowId) ?? []), call]);
  }
  return [...byCalled].map(([calledId, calls]) => ({
    pk: versionPk(version.tenant, calledId),
    sk: `D#${version.workflowId}#${versionSortKey(version.version)}`,
    callerId: version.workflowId,
    callerVersion: version.version,
    calls: calls.map((call) => withoutUndefined({ ...call })),
  }));
}

const chunkKey = (key: Key, n: number): Key => ({
  pk: key.pk,
  sk: `C#${key.sk.slice(2)}#${String(n).padStart(3, '0')}`,
});

function split(body: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length || parts.length === 0; offset += CHUNK_BYTES) {
    parts.push(body.subarray(offset, offset + CHUNK_BYTES));
  }
  return parts;
}

function toWorkflow(item: Item | WorkflowRecord): WorkflowRecord {
  const { tenant, workflowId, latest, heads, versionCount, description, updatedAt, revision } = item;
  return withoutUndefined({
    tenant,
    workflowId,
    latest,
    heads,
    versionCount,
    description,
    updatedAt,
    revision,
  }) as unknown as WorkflowRecord;
}

function toSummary(item: Item): VersionSummary {
  const { version, digest, publishedAt, description } = item;
  return withoutUndefined({ version, digest, publishedAt, description }) as unknown as VersionSummary;
}

function withoutUndefined(record: Item): Item {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function lostRace(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some(({ Code }) => Code === 'ConditionalCheckFailed' || Code === 'TransactionConflict');
}
