/**
 * RunStore on one DynamoDB table with string keys `pk`/`sk` (`RUNS_TABLE`); every item carries
 * the TTL attribute `expiresAt` (epoch seconds). Item mapping and expressions live in
 * `dynamodb-run-items.ts`.
 *
 * | item        | pk                          | sk           | attributes                              |
 * |-------------|-----------------------------|--------------|-----------------------------------------|
 * | run         | `R#<runId>`                 | `RUN`        | RunRecord (outputs as `outputsJson`),   |
 * |             |                             |              | `gsi1pk`, `gsi2pk`, `gsi3pk`, `activePk`|
 * | inputs      | `R#<runId>`                 | `IN`         | `body`: gzipped JSON (B)                |
 * | idempotency | `T#<tenant>#I#<key>`        | `I`          | `runId`                                 |
 * | node        | `R#<runId>`                 | `N#<nodeId>` | NodeRecord (output as `outputJson`);    |
 * |             |                             |              | arrival sets as string sets             |
 * | done-set    | `R#<runId>`                 | `E#<setKey>` | `done`: number set                      |
 * | slots, line | `T#<t>#W#<wf>` (`#WAIT`)    | `SLOTS`, id  | see `dynamodb-run-slots.ts`             |
 * | sweep lease | `SWEEPER`                   | `LEASE`      | holder, leaseUntil, cursor, round       |
 *
 * - Indexes (every run field but the outputs, `LISTED_RUN_ATTRIBUTES`; sort key the run item's own
 *   `runId`: a ULID, so descending is newest first): `byTenant` on `gsi1pk = T#<tenant>`,
 *   `byWorkflow` on `gsi2pk = T#<tenant>#W#<wf>`, `byStatus` on `gsi3pk = T#<tenant>#S#<status>`,
 *   and the sparse `active` on `activePk = ACTIVE#<shard>` (`activePkOf`), present while the run is
 *   QUEUED, RUNNING or PAUSED or a control is pending. `updateRun` rewrites `gsi3pk` and
 *   `activePk` with the status; it needs the run's tenant for that, which never changes, so it is
 *   remembered from earlier calls or read once.
 * - Listings read indexes, which are eventually consistent: a run may show up (or move between
 *   status listings) a moment after the write. Queries and cursors: `dynamodb-run-listing.ts`.
 * - Outputs are JSON text: a native map would refuse numbers beyond 2^53 or DynamoDB's range,
 *   which a node's output may well hold. Inputs (up to 256 KB) are gzipped in their own item, so
 *   the run item stays small and cheap to read on every step.
 * - DynamoDB has no empty sets: an empty arrival set is an absent attribute, `[]` when read.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Page, PageRequest } from '../../ports/page.ts';
import {
  type ErrorInfo,
  type NodeChange,
  type NodeCondition,
  type NodeListOptions,
  type NodeRecord,
  type Outcome,
  type RunChange,
  type RunCondition,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  type RunStore,
  RunStoreError,
  type SweepPosition,
} from '../../ports/run-store.ts';
import { type ConditionalWrite, conditionalUpdate } from './dynamodb-conditional-write.ts';
import { Expr, updateExpression } from './dynamodb-expr.ts';
import {
  arrivalUpdate,
  creationItems,
  doneKey,
  doneUpdate,
  failureUpdate,
  type Item,
  idempotencyKeyOf,
  inputsKey,
  type Key,
  nodeCondition,
  nodeKey,
  nodeUpdate,
  resetUpdate,
  runCondition,
  runKey,
  runUpdate,
  toNode,
  toRun,
} from './dynamodb-run-items.ts';
import { queryActive, queryListing, type RunListing, runListing } from './dynamodb-run-listing.ts';
import { RunSlots } from './dynamodb-run-slots.ts';
import { SweepLease } from './dynamodb-sweep-lease.ts';
import { queryPrefix } from './query-prefix.ts';

/** A node item with no writes yet, as `toNode` reads it. */
const blankNodeItem = (runId: string, nodeId: string, expiresAt: number) => ({
  runId,
  nodeId,
  attempt: 0,
  fence: 0,
  expiresAt,
});

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Rounds of BatchGetItem for keys DynamoDB left unprocessed (throttling, 16 MB responses). */
const MAX_BATCH_ROUNDS = 8;
/** Attempts of `createRun` while its idempotency key is contended. */
const MAX_CREATE_ATTEMPTS = 5;
/** Runs whose tenant is remembered for `updateRun` (the tenant of a run never changes). */
const TENANT_CACHE_SIZE = 10_000;

export interface DynamoDbRunStoreOptions {
  /** A document client; build it once per cold start. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Runs, their nodes and inputs in DynamoDB.
 * @example new DynamoDbRunStore({ client: doc, tableName: 'skein-runs' })
 */
export class DynamoDbRunStore implements RunStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly tenants = new Map<string, string>();
  private readonly slots: RunSlots;
  private readonly lease: SweepLease;

  constructor(options: DynamoDbRunStoreOptions) {
    this.doc = options.client;
    this.tableName = options.tableName;
    this.slots = new RunSlots(options.client, options.tableName);
    this.lease = new SweepLease(options.client, options.tableName);
  }

  async createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    const body = inputs === undefined ? undefined : await gzipAsync(JSON.stringify(inputs));
    const key =
      run.idempotencyKey === undefined ? undefined : idempotencyKeyOf(run.tenant, run.idempotencyKey);
    if (key === undefined) {
      // No idempotency key: two plain conditional puts, inputs first, cost half a transaction.
      // A crash between them leaves an orphan inputs item, which TTL removes.
      const [runPut, inputsPut] = creationItems(this.tableName, run, body, undefined);
      if (runPut && inputsPut) {
        try {
          await this.doc.send(new PutCommand(inputsPut.Put));
          await this.doc.send(new PutCommand(runPut.Put));
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            throw new RunStoreError(`cannot create run ${run.runId}: it already exists`, { cause: error });
          }
          throw error;
        }
        return { run: this.remember(run), created: true };
      }
    }
    // The key's item may point to a run that TTL already deleted: then it is taken over.
    let stale: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const TransactItems = creationItems(this.tableName, run, body, key && { key, stale });
      const codes = await this.transact(TransactItems);
      if (!codes) return { run: this.remember(run), created: true };
      const keyTaken = codes[2] === 'ConditionalCheckFailed' || codes[2] === 'TransactionConflict';
      if (!key || !keyTaken || attempt >= MAX_CREATE_ATTEMPTS) {
        const why =
          codes[0] === 'ConditionalCheckFailed' ? 'it already exists' : `cancelled: ${codes.join(', ')}`;
        throw new RunStoreError(`cannot create run ${run.runId}: ${why}`);
      }
      const claimed = await this.get(key);
      const existing = typeof claimed?.runId === 'string' ? await this.getRun(claimed.runId) : undefined;
      if (existing) return { run: existing, created: false };
      stale = claimed?.runId as string | undefined;
      await sleep(10 * attempt);
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const item = await this.get(runKey(runId));
    return item && this.remember(toRun(item));
  }

  async getInputs(runId: string): Promise<unknown> {
    const item = await this.get(inputsKey(runId));
    if (item?.body === undefined) return undefined;
    return JSON.parse((await gunzipAsync(item.body as Uint8Array)).toString('utf8'));
  }

  async updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when: RunCondition = {},
  ): Promise<RunRecord | undefined> {
    if (ifStatus.length === 0) return undefined;
    const tenant = change.status === undefined ? undefined : await this.tenantOf(runId);
    if (change.status !== undefined && tenant === undefined) return undefined;
    const x = new Expr();
    const update = runUpdate(runId, change, tenant, x);
    const item = await this.update(runKey(runId), x, update, runCondition(ifStatus, change, when, x));
    return item && this.remember(toRun(item));
  }

  async markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    const x = new Expr();
    const progressAt = x.n('progressAt');
    await this.update(
      runKey(runId),
      x,
      `SET ${progressAt} = ${x.v(at)}`,
      `attribute_exists(${x.n('pk')}) AND (attribute_not_exists(${progressAt}) OR ${progressAt} < ${x.v(ifBefore)})`,
    );
  }

  async recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    const x = new Expr();
    const { update, condition } = failureUpdate(error, updatedAt, x);
    await this.update(runKey(runId), x, update, condition);
  }

  async listRuns(tenant: string, query: RunQuery = {}): Promise<Page<RunRecord>> {
    return this.listIndex(runListing(tenant, query), query);
  }

  async listActiveRuns(page: PageRequest = {}): Promise<Page<RunRecord>> {
    const found = await queryActive(this.doc, this.tableName, page);
    return { ...found, items: found.items.map((item) => this.remember(toRun(item))) };
  }

  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    return this.lease.take(holder, nowMs, untilMs);
  }

  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    return this.lease.save(holder, position, release);
  }

  async getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    const item = await this.get(nodeKey(runId, nodeId));
    return item && toNode(item);
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
    if (options.consistent !== false) {
      return (await queryPrefix(this.doc, this.tableName, runKey(runId).pk, 'N#')).map(toNode);
    }
    const nodes: NodeRecord[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': runKey(runId).pk, ':prefix': 'N#' },
        ConsistentRead: false,
      },
    );
    for await (const page of pages) nodes.push(...(page.Items ?? []).map(toNode));
    return nodes;
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
    return (await this.update(nodeKey(runId, nodeId), x, update, condition)) !== undefined;
  }

  async addDone(runId: string, setKey: string, member: number, expiresAt: number) {
    const x = new Expr();
    const { update, condition } = doneUpdate(member, expiresAt, x);
    // A refused add returns the set as it is: its size needs no second read.
    const { applied, item } = await this.write(doneKey(runId, setKey), x, update, condition);
    return { applied, size: (item?.done as Set<number> | undefined)?.size ?? 0 };
  }

  async addDoneAll(runId: string, setKey: string, members: readonly number[], expiresAt: number) {
    if (members.length === 0) throw new RangeError('addDoneAll needs at least one member');
    const x = new Expr();
    const update = updateExpression({
      add: [`${x.n('done')} ${x.v(new Set(members))}`],
      set: [`${x.n('expiresAt')} = if_not_exists(${x.n('expiresAt')}, ${x.v(expiresAt)})`],
    });
    const item = await this.update(doneKey(runId, setKey), x, update, undefined);
    return (item?.done as Set<number> | undefined)?.size ?? 0;
  }

  acquireSlot(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    return this.slots.acquire(tenant, workflow, runId, max);
  }

  releaseSlot(tenant: string, workflow: string, runId: string): Promise<void> {
    return this.slots.release(tenant, workflow, runId);
  }

  slotHolders(tenant: string, workflow: string): Promise<string[]> {
    return this.slots.holders(tenant, workflow);
  }

  addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): Promise<void> {
    return this.slots.addWaiting(tenant, workflow, runId, expiresAt);
  }

  removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    return this.slots.removeWaiting(tenant, workflow, runId);
  }

  listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    return this.slots.listWaiting(tenant, workflow, limit);
  }

  private async get(Key: Key): Promise<Item | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    return Item;
  }

  /** A conditional UpdateItem returning the new item, or undefined when the condition failed. */
  private async update(Key: Key, x: Expr, UpdateExpression: string, ConditionExpression: string | undefined) {
    const written = await this.write(Key, x, UpdateExpression, ConditionExpression);
    return written.applied ? written.item : undefined;
  }

  /** A conditional UpdateItem (see `conditionalUpdate`). */
  private write(Key: Key, x: Expr, UpdateExpression: string, ConditionExpression: string | undefined) {
    return conditionalUpdate(this.doc, this.tableName, Key, x, UpdateExpression, ConditionExpression);
  }

  /** Writes the transaction; returns undefined, or the cancellation reason codes by item. */
  private async transact(TransactItems: ReturnType<typeof creationItems>) {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems }));
      return undefined;
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') throw error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      return reasons.map((reason) => reason.Code ?? 'None');
    }
  }

  private async listIndex(listing: RunListing, page: PageRequest): Promise<Page<RunRecord>> {
    const found = await queryListing(this.doc, this.tableName, listing, page);
    return { ...found, items: found.items.map((item) => this.remember(toRun(item))) };
  }

  private async tenantOf(runId: string): Promise<string | undefined> {
    const known = this.tenants.get(runId);
    if (known !== undefined) return known;
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: runKey(runId),
        ProjectionExpression: '#tenant',
        ExpressionAttributeNames: { '#tenant': 'tenant' },
        ConsistentRead: true,
      }),
    );
    return Item?.tenant as string | undefined;
  }

  private remember(run: RunRecord): RunRecord {
    if (this.tenants.size >= TENANT_CACHE_SIZE) this.tenants.clear();
    this.tenants.set(run.runId, run.tenant);
    return run;
  }
}
