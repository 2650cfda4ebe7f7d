/**
 * The node items of `DynamoDbRunStore` (`R#<runId>` / `N#<nodeId>`): reads, arrivals and
 * conditional writes, each a single UpdateItem whose refusal returns the item that refused it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { ITEM_INDEX_DIGITS, paddedIndex } from '../../domain/map-items.ts';
import {
  type ItemListOptions,
  type ItemSeed,
  type NodeChange,
  type NodeCondition,
  type NodeListOptions,
  type NodeRecord,
  type Outcome,
  RunStoreError,
  type RunStoreNodes,
} from '../../ports/run-store.ts';
import { type ConditionalWrite, conditionalUpdate } from './dynamodb-conditional-write.ts';
import { Expr } from './dynamodb-expr.ts';
import {
  arrivalUpdate,
  nodeCondition,
  nodeUpdate,
  resetUpdate,
  seedUpdate,
} from './dynamodb-node-updates.ts';
import { itemsPrefix, type Key, NODE_SK_PREFIX, nodeKey, runKey, toNode } from './dynamodb-run-items.ts';
import { queryPrefix } from './query-prefix.ts';

/** A node item with no writes yet, as `toNode` reads it. */
const blankNodeItem = (runId: string, nodeId: string, expiresAt: number) => ({
  runId,
  nodeId,
  attempt: 0,
  fence: 0,
  expiresAt,
});

/** Rounds of BatchGetItem for keys DynamoDB left unprocessed (throttling, 16 MB responses). */
const MAX_BATCH_ROUNDS = 8;

export class DynamoDbNodes implements RunStoreNodes {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: nodeKey(runId, nodeId), ConsistentRead: true }),
    );
    return Item && toNode(Item);
  }

  async getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    if (nodeIds.length > 100) throw new RangeError(`getNodes takes at most 100 ids, got ${nodeIds.length}`);
    let keys: Key[] = [...new Set(nodeIds)].map((nodeId) => nodeKey(runId, nodeId));
    const nodes: NodeRecord[] = [];
    for (let round = 1; keys.length > 0; round++) {
      if (round > MAX_BATCH_ROUNDS) {
        throw new RunStoreError(`${keys.length} node reads of run ${runId} stayed unprocessed`);
      }
      if (round > 1) await sleep(Math.min(25 * 2 ** round, 1000));
      const RequestItems = { [this.tableName]: { Keys: keys, ConsistentRead: true } };
      const out = await this.doc.send(new BatchGetCommand({ RequestItems }));
      nodes.push(...(out.Responses?.[this.tableName] ?? []).map(toNode));
      keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
    }
    return nodes;
  }

  async listNodes(runId: string, options: NodeListOptions = {}): Promise<NodeRecord[]> {
    return this.listPrefix(runId, NODE_SK_PREFIX, options);
  }

  async listItems(runId: string, mapId: string, options: ItemListOptions = {}): Promise<NodeRecord[]> {
    if (options.fromIndex === undefined && options.limit === undefined) {
      return this.listPrefix(runId, itemsPrefix(mapId), options);
    }
    // A page: the keys from `fromIndex` on sort in index order, so one bounded Query reads it.
    const prefix = itemsPrefix(mapId);
    const items: NodeRecord[] = [];
    const pages = paginateQuery(
      { client: this.doc, pageSize: Math.min(options.limit ?? 1000, 1000) },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': runKey(runId).pk,
          ':from': `${prefix}${paddedIndex(options.fromIndex ?? 0)}`,
          ':to': `${prefix}${'9'.repeat(ITEM_INDEX_DIGITS)}`,
        },
        ConsistentRead: options.consistent !== false,
      },
    );
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    for await (const page of pages) {
      items.push(...(page.Items ?? []).map(toNode));
      if (items.length >= limit) break;
    }
    return items.slice(0, limit);
  }

  async seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    const x = new Expr();
    const { update, condition } = seedUpdate(runId, itemId, seed, expiresAt, x);
    return (await this.write(nodeKey(runId, itemId), x, update, condition)).applied;
  }

  private async listPrefix(runId: string, prefix: string, options: NodeListOptions) {
    const pk = runKey(runId).pk;
    const items = await queryPrefix(this.doc, this.tableName, pk, prefix, options.consistent !== false);
    return items.map(toNode);
  }

  async arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch = 0,
  ) {
    const x = new Expr();
    const outcomeSet = { SUCCEEDED: undefined, FAILED: 'failedParents', SKIPPED: 'skippedParents' }[outcome];
    const { update, condition } = arrivalUpdate(runId, nodeId, parentId, outcomeSet, expiresAt, epoch, x);
    const written = await this.write(nodeKey(runId, nodeId), x, update, condition);
    if (written.applied) return { applied: true, node: toNode(written.item) };
    const current = written.item;
    if (!current && epoch === 0) {
      throw new RunStoreError(`node ${nodeId} of run ${runId} refused an arrival but does not exist`);
    }
    return { applied: false, node: toNode(current ?? blankNodeItem(runId, nodeId, expiresAt)) };
  }

  async updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    const written = await this.writeNode(runId, nodeId, when, change, expiresAt);
    return written?.applied ? toNode(written.item) : undefined;
  }

  async tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }> {
    const written = await this.writeNode(runId, nodeId, when, change, expiresAt);
    if (written === undefined) {
      const current = await this.getNode(runId, nodeId);
      return current ? { applied: false, node: current } : { applied: false };
    }
    if (written.applied) return { applied: true, node: toNode(written.item) };
    return written.item ? { applied: false, node: toNode(written.item) } : { applied: false };
  }

  /** The node's conditional write; undefined, writing nothing, when `when` can match no state. */
  private async writeNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<ConditionalWrite | undefined> {
    const x = new Expr();
    const condition = nodeCondition(when, x);
    if (condition === undefined) return undefined;
    const update = nodeUpdate(runId, nodeId, change, expiresAt, x);
    return this.write(nodeKey(runId, nodeId), x, update, condition);
  }

  async resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    const x = new Expr();
    const { update, condition } = resetUpdate(runId, nodeId, arrivals, expiresAt, epoch, x);
    return (await this.write(nodeKey(runId, nodeId), x, update, condition)).applied;
  }

  /** A conditional UpdateItem (see `conditionalUpdate`). */
  private write(Key: Key, x: Expr, UpdateExpression: string, ConditionExpression: string) {
    return conditionalUpdate(this.doc, this.tableName, Key, x, UpdateExpression, ConditionExpression);
  }
}
