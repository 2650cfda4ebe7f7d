import type { Page, PageRequest } from '../../ports/page.ts';
import type {
  ErrorInfo,
  ItemListOptions,
  ItemSeed,
  NodeChange,
  NodeCondition,
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
import { type ChangeFeedLevel, SqliteChangeFeed } from './change-feed.ts';
import { SqliteDatabase } from './database.ts';
import { SqliteNodes } from './sqlite-nodes.ts';
import { SqliteRuns } from './sqlite-runs.ts';
import { SqliteSets } from './sqlite-sets.ts';

export interface SqliteRunStoreOptions {
  /** The database file (created if missing), or an open database shared with other stores. */
  readonly database: string | SqliteDatabase;
  /**
   * Which changes go to the outbox for the monitor (`change-feed.ts`): the monitor's node-event
   * level, or `'off'` (no outbox rows). @default 'off'
   */
  readonly changeFeed?: ChangeFeedLevel;
  /** Epoch ms, for the outbox records' creation time. @default Date.now */
  readonly nowMs?: () => number;
}

/**
 * The run store on an embedded SQLite database (better-sqlite3, synchronous): the same contract
 * as the memory and DynamoDB adapters, durable across process crashes. Every conditional write
 * (node writes, arrivals, done-sets, slots, the lease) is one `BEGIN IMMEDIATE` transaction that
 * reads, checks and writes, so it is atomic across processes sharing the file too; a write that
 * the monitor's stream filter lets through appends its DynamoDB-shaped stream record to the
 * `outbox` table in the same transaction. TTL: `expire(nowMs)` deletes the items whose
 * `expiresAt` has passed (DynamoDB's TTL deletes them eventually; reads do not filter, as there).
 * Local composition only (native module): never bundled into a Lambda.
 * @example const runs = new SqliteRunStore({ database: '.skein/skein.db', changeFeed: 'all' });
 */
export class SqliteRunStore implements RunStore {
  readonly sqlite: SqliteDatabase;
  /** The outbox writer: a local stream source sets its `onAppend` to wake at once. */
  readonly feed: SqliteChangeFeed;
  private readonly runs: SqliteRuns;
  private readonly nodes: SqliteNodes;
  private readonly sets: SqliteSets;

  constructor(options: SqliteRunStoreOptions) {
    this.sqlite =
      typeof options.database === 'string' ? new SqliteDatabase(options.database) : options.database;
    this.feed = new SqliteChangeFeed(this.sqlite, options.changeFeed ?? 'off', options.nowMs ?? Date.now);
    this.runs = new SqliteRuns(this.sqlite, this.feed);
    this.nodes = new SqliteNodes(this.sqlite, this.feed);
    this.sets = new SqliteSets(this.sqlite);
  }

  /**
   * TTL: deletes every run-store item whose `expiresAt` (epoch seconds) is before `nowMs`, as
   * DynamoDB's TTL does (within 48 hours there); returns how many it deleted. No outbox rows (the
   * monitor's filter drops TTL removals). Call it at start and every few minutes.
   */
  expire(nowMs: number): number {
    const now = Math.floor(nowMs / 1000);
    const tables = ['runs', 'run_inputs', 'idempotency', 'nodes', 'done_sets', 'run_waiting'];
    let deleted = 0;
    this.sqlite.db.transaction(() => {
      for (const table of tables) {
        deleted += this.sqlite.statement(`DELETE FROM ${table} WHERE expires_at < ?`).run(now).changes;
      }
    })();
    return deleted;
  }

  close(): void {
    this.sqlite.close();
  }

  async createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    return this.runs.createRun(run, inputs);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.runs.getRun(runId);
  }

  async getInputs(runId: string): Promise<unknown> {
    return this.runs.getInputs(runId);
  }

  async updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when?: RunCondition,
  ): Promise<RunRecord | undefined> {
    return this.runs.updateRun(runId, ifStatus, change, when);
  }

  async markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    this.runs.markProgress(runId, at, ifBefore);
  }

  async recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    this.runs.recordFailure(runId, error, updatedAt);
  }

  async listRuns(tenant: string, query?: RunQuery): Promise<Page<RunRecord>> {
    return this.runs.listRuns(tenant, query);
  }

  async listActiveRuns(page?: PageRequest): Promise<Page<RunRecord>> {
    return this.runs.listActiveRuns(page);
  }

  async takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    return this.sets.takeSweepLease(holder, nowMs, untilMs);
  }

  async saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    return this.sets.saveSweepLease(holder, position, release);
  }

  async getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    return this.nodes.getNode(runId, nodeId);
  }

  async getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    return this.nodes.getNodes(runId, nodeIds);
  }

  /** Always consistent: `consistent: false` allows staleness, it does not require it. */
  async listNodes(runId: string): Promise<NodeRecord[]> {
    return this.nodes.listNodes(runId);
  }

  async listItems(runId: string, mapId: string, options?: ItemListOptions): Promise<NodeRecord[]> {
    return this.nodes.listItems(runId, mapId, options);
  }

  async seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    return this.nodes.seedItem(runId, itemId, seed, expiresAt);
  }

  async arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch?: number,
  ): Promise<{ applied: boolean; node: NodeRecord }> {
    return this.nodes.arrive(runId, nodeId, parentId, outcome, expiresAt, epoch);
  }

  async updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    const written = this.nodes.writeNode(runId, nodeId, when, change, expiresAt);
    return written.applied ? written.node : undefined;
  }

  async tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }> {
    const written = this.nodes.writeNode(runId, nodeId, when, change, expiresAt);
    if (written.applied) return written;
    return written.node ? { applied: false, node: written.node } : { applied: false };
  }

  async resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    return this.nodes.resetNode(runId, nodeId, arrivals, expiresAt, epoch);
  }

  async addDone(
    runId: string,
    setKey: string,
    member: number,
    expiresAt: number,
  ): Promise<{ applied: boolean; size: number }> {
    return this.sets.addDone(runId, setKey, member, expiresAt);
  }

  async addDoneAll(
    runId: string,
    setKey: string,
    members: readonly number[],
    expiresAt: number,
  ): Promise<number> {
    return this.sets.addDoneAll(runId, setKey, members, expiresAt);
  }

  async acquireSlot(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    return this.sets.acquireSlot(tenant, workflow, runId, max);
  }

  async releaseSlot(tenant: string, workflow: string, runId: string): Promise<void> {
    this.sets.releaseSlot(tenant, workflow, runId);
  }

  async slotHolders(tenant: string, workflow: string): Promise<string[]> {
    return this.sets.slotHolders(tenant, workflow);
  }

  async addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): Promise<void> {
    this.sets.addWaiting(tenant, workflow, runId, expiresAt);
  }

  async removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    this.sets.removeWaiting(tenant, workflow, runId);
  }

  async listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    return this.sets.listWaiting(tenant, workflow, limit);
  }
}
