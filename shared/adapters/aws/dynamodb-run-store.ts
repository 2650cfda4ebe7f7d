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
 * | logs        | `R#<runId>`                 | `L#<node>#<attempt>` | `body`: gzipped JSON (B)        |
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
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttemptLogs } from '../../ports/attempt-logs.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import type {
  ErrorInfo,
  ItemListOptions,
  ItemSeed,
  NodeChange,
  NodeCondition,
  NodeListOptions,
  NodeRecord,
  Outcome,
  RunChange,
  RunCondition,
  RunQuery,
  RunRecord,
  RunStatus,
  RunStore,
  SweepPosition,
} from '../../ports/run-store.ts';
import { DynamoDbDoneSets } from './dynamodb-done-sets.ts';
import { DynamoDbLogs } from './dynamodb-logs.ts';
import { DynamoDbNodes } from './dynamodb-nodes.ts';
import { toRun } from './dynamodb-run-items.ts';
import { queryActive, queryListing, runListing } from './dynamodb-run-listing.ts';
import { RunSlots } from './dynamodb-run-slots.ts';
import { DynamoDbRuns } from './dynamodb-runs.ts';
import { SweepLease } from './dynamodb-sweep-lease.ts';

export interface DynamoDbRunStoreOptions {
  /** A document client; build it once per cold start. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Runs, their nodes and inputs in DynamoDB. The parts follow the port's: runs
 * (`dynamodb-runs.ts`), listings (`dynamodb-run-listing.ts`), nodes (`dynamodb-nodes.ts`),
 * done-sets (`dynamodb-done-sets.ts`), slots and waiting lines (`dynamodb-run-slots.ts`), the
 * sweep lease (`dynamodb-sweep-lease.ts`); this class delegates.
 * @example new DynamoDbRunStore({ client: doc, tableName: 'skein-runs' })
 */
export class DynamoDbRunStore implements RunStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly runs: DynamoDbRuns;
  private readonly nodes: DynamoDbNodes;
  private readonly done: DynamoDbDoneSets;
  private readonly slots: RunSlots;
  private readonly lease: SweepLease;
  private readonly logs: DynamoDbLogs;

  constructor(options: DynamoDbRunStoreOptions) {
    this.doc = options.client;
    this.tableName = options.tableName;
    this.runs = new DynamoDbRuns(options.client, options.tableName);
    this.nodes = new DynamoDbNodes(options.client, options.tableName);
    this.done = new DynamoDbDoneSets(options.client, options.tableName);
    this.slots = new RunSlots(options.client, options.tableName);
    this.lease = new SweepLease(options.client, options.tableName);
    this.logs = new DynamoDbLogs(options.client, options.tableName);
  }

  createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    return this.runs.createRun(run, inputs);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.runs.getRun(runId);
  }

  getInputs(runId: string): Promise<unknown> {
    return this.runs.getInputs(runId);
  }

  updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when?: RunCondition,
  ): Promise<RunRecord | undefined> {
    return this.runs.updateRun(runId, ifStatus, change, when);
  }

  markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    return this.runs.markProgress(runId, at, ifBefore);
  }

  recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    return this.runs.recordFailure(runId, error, updatedAt);
  }

  async listRuns(tenant: string, query: RunQuery = {}): Promise<Page<RunRecord>> {
    const found = await queryListing(this.doc, this.tableName, runListing(tenant, query), query);
    return { ...found, items: found.items.map((item) => this.runs.remember(toRun(item))) };
  }

  async listActiveRuns(page: PageRequest = {}): Promise<Page<RunRecord>> {
    const found = await queryActive(this.doc, this.tableName, page);
    return { ...found, items: found.items.map((item) => this.runs.remember(toRun(item))) };
  }

  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    return this.lease.take(holder, nowMs, untilMs);
  }

  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    return this.lease.save(holder, position, release);
  }

  getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    return this.nodes.getNode(runId, nodeId);
  }

  getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    return this.nodes.getNodes(runId, nodeIds);
  }

  listNodes(runId: string, options?: NodeListOptions): Promise<NodeRecord[]> {
    return this.nodes.listNodes(runId, options);
  }

  listItems(runId: string, mapId: string, options?: ItemListOptions): Promise<NodeRecord[]> {
    return this.nodes.listItems(runId, mapId, options);
  }

  seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    return this.nodes.seedItem(runId, itemId, seed, expiresAt);
  }

  arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch?: number,
  ): Promise<{ applied: boolean; node: NodeRecord }> {
    return this.nodes.arrive(runId, nodeId, parentId, outcome, expiresAt, epoch);
  }

  updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    return this.nodes.updateNode(runId, nodeId, when, change, expiresAt);
  }

  tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }> {
    return this.nodes.tryUpdateNode(runId, nodeId, when, change, expiresAt);
  }

  resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    return this.nodes.resetNode(runId, nodeId, arrivals, expiresAt, epoch);
  }

  addDone(
    runId: string,
    setKey: string,
    member: number,
    expiresAt: number,
  ): Promise<{ applied: boolean; size: number }> {
    return this.done.addDone(runId, setKey, member, expiresAt);
  }

  addDoneAll(runId: string, setKey: string, members: readonly number[], expiresAt: number): Promise<number> {
    return this.done.addDoneAll(runId, setKey, members, expiresAt);
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

  putLogs(
    runId: string,
    nodeId: string,
    attempt: number,
    logs: AttemptLogs,
    expiresAt: number,
  ): Promise<void> {
    return this.logs.putLogs(runId, nodeId, attempt, logs, expiresAt);
  }

  getLogs(runId: string, nodeId: string, attempt: number): Promise<AttemptLogs | undefined> {
    return this.logs.getLogs(runId, nodeId, attempt);
  }
}
