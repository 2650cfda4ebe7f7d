/**
 * The run listings of `DynamoDbRunStore`: which index a listing reads, and its cursors (base64url
 * of the last key, checked to belong to the listing and to hold keys DynamoDB accepts).
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { SkeinError } from '../../domain/problems.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type PageRequest } from '../../ports/page.ts';
import type { RunQuery, RunStatus } from '../../ports/run-store.ts';
import { Expr } from './dynamodb-expr.ts';
import { ACTIVE_PKS, type Item, runKey, statusPk, tenantPk, workflowPk } from './dynamodb-run-items.ts';

/** Queries a workflow-and-status listing may spend looking for a full page. */
const MAX_FILTERED_READS = 8;

export interface RunListing {
  readonly IndexName: string;
  readonly indexPk: string;
  readonly value: string;
  readonly forward: boolean;
  readonly filter?: RunStatus;
}

/**
 * One page of a listing: run items and a cursor when another run exists. A filtered listing
 * reads at most MAX_FILTERED_READS queries and may return a short page with a cursor.
 */
export async function queryListing(
  doc: DynamoDBDocumentClient,
  TableName: string,
  listing: RunListing,
  page: PageRequest,
): Promise<{ items: Item[]; cursor?: string }> {
  const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
  const { IndexName, indexPk, value, forward, filter } = listing;
  const x = new Expr();
  const input: QueryCommandInput = {
    TableName,
    IndexName,
    KeyConditionExpression: `${x.n(indexPk)} = ${x.v(value)}`,
    ...(filter !== undefined && { FilterExpression: `${x.n('status')} = ${x.v(filter)}` }),
    ScanIndexForward: forward,
    ...x.params(),
  };
  const items: Item[] = [];
  let start = page.cursor === undefined ? undefined : decodeCursor(page.cursor, indexPk, value);
  for (let reads = 1; ; reads++) {
    // One more than a page, so a cursor is returned only when another run exists.
    const Limit = filter === undefined ? limit + 1 - items.length : 100;
    const out = await doc.send(new QueryCommand({ ...input, Limit, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
    if (items.length > limit || !start || (filter !== undefined && reads >= MAX_FILTERED_READS)) break;
  }
  const last = items.length > limit ? items[limit - 1] : start;
  return last
    ? { items: items.slice(0, limit), cursor: encodeCursor(last, indexPk) }
    : { items: items.slice(0, limit) };
}

/**
 * One page of the `active` index across its shards: shard after shard, each oldest first, so a
 * page costs one query per shard it touches rather than one per shard to merge by age. The cursor
 * names the shard and, within it, the last key. A page may be short (the end of a shard) and
 * still carry a cursor; only a page without one ends the listing.
 */
export async function queryActive(
  doc: DynamoDBDocumentClient,
  TableName: string,
  page: PageRequest,
): Promise<{ items: Item[]; cursor?: string }> {
  const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
  let { shard, key } =
    page.cursor === undefined ? { shard: 0, key: undefined } : decodeActiveCursor(page.cursor);
  const items: Item[] = [];
  while (items.length < limit) {
    const value = ACTIVE_PKS[shard];
    if (value === undefined) return { items };
    const listing = { IndexName: 'active', indexPk: 'activePk', value, forward: true };
    const found = await queryListing(doc, TableName, listing, {
      limit: limit - items.length,
      ...(key === undefined ? {} : { cursor: key }),
    });
    items.push(...found.items);
    key = found.cursor;
    if (key === undefined) shard += 1;
  }
  if (key === undefined && shard >= ACTIVE_PKS.length) return { items };
  const cursor = { listing: 'active', shard, ...(key === undefined ? {} : { key }) };
  return { items, cursor: Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url') };
}

function decodeActiveCursor(cursor: string): { shard: number; key: string | undefined } {
  let parsed: { listing?: unknown; shard?: unknown; key?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const shard = parsed?.shard;
  const value = typeof shard === 'number' ? ACTIVE_PKS[shard] : undefined;
  const key = parsed?.key;
  if (parsed?.listing !== 'active' || value === undefined || (key !== undefined && typeof key !== 'string')) {
    throw invalidCursor();
  }
  // The key must belong to this shard's listing (decodeCursor throws otherwise).
  if (key !== undefined) decodeCursor(key, 'activePk', value);
  return { shard: shard as number, key };
}

/** The index a run listing reads; workflow and status together filter `byWorkflow` on status. */
export function runListing(tenant: string, query: RunQuery): RunListing {
  const { workflow, status } = query;
  if (workflow !== undefined) {
    return {
      IndexName: 'byWorkflow',
      indexPk: 'gsi2pk',
      value: workflowPk(tenant, workflow),
      forward: false,
      filter: status,
    };
  }
  if (status !== undefined)
    return { IndexName: 'byStatus', indexPk: 'gsi3pk', value: statusPk(tenant, status), forward: false };
  return { IndexName: 'byTenant', indexPk: 'gsi1pk', value: tenantPk(tenant), forward: false };
}

/** A listing's cursor: base64url of the last key (table key, index key) returned. */
export function encodeCursor(item: Item, indexPk: string): string {
  const key = { pk: item.pk, sk: item.sk, [indexPk]: item[indexPk], runId: item.runId };
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The ExclusiveStartKey in `cursor`, checked to belong to the listing on `indexPk = value`. */
export function decodeCursor(cursor: string, indexPk: string, value: string): Item {
  let key: Item | undefined;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Item;
  } catch {
    key = undefined;
  }
  const runId = key?.runId;
  // Run ids are what the API accepts (so a forged cursor cannot make DynamoDB refuse a key: a 500).
  if (typeof runId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(runId) || key?.[indexPk] !== value) {
    throw invalidCursor();
  }
  const { pk, sk } = runKey(runId);
  if (key.pk !== pk || key.sk !== sk) throw invalidCursor();
  return { pk, sk, [indexPk]: value, runId };
}

const invalidCursor = () =>
  new SkeinError(
    'INVALID_CURSOR',
    'the cursor is malformed or belongs to another listing; pass back the cursor of the previous page unchanged, or omit it to start from the first page',
    'invalid',
  );
