import type { AttemptLogs } from '../../ports/attempt-logs.ts';
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
  expire(nowMs: number): Promise<number> {
    const now = Math.floor(nowMs / 1000);
    const tables = ['runs', 'run_inputs', 'idempotency', 'nodes', 'done_sets', 'run_waiting', 'run_logs'];
    return this.sqlite.run(true, () => {
      let deleted = 0;
      for (const table of tables) {
        deleted += this.sqlite.statement(`DELETE FROM ${table} WHERE expires_at < ?`).run(now).changes;
      }
      return deleted;
    });
  }

  close(): void {
    this.sqlite.close();
  }

  createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    return this.sqlite.run(true, () => this.runs.createRun(run, inputs));
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.sqlite.run(false, () => this.runs.getRun(runId));
  }

  getInputs(runId: string): Promise<unknown> {
    return this.sqlite.run(false, () => this.runs.getInputs(runId));
  }

  updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when?: RunCondition,
  ): Promise<RunRecord | undefined> {
    return this.sqlite.run(true, () => this.runs.updateRun(runId, ifStatus, change, when));
  }

  markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    return this.sqlite.run(true, () => this.runs.markProgress(runId, at, ifBefore));
  }

  recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    return this.sqlite.run(true, () => this.runs.recordFailure(runId, error, updatedAt));
  }

  listRuns(tenant: string, query?: RunQuery): Promise<Page<RunRecord>> {
    return this.sqlite.run(false, () => this.runs.listRuns(tenant, query));
  }

  listActiveRuns(page?: PageRequest): Promise<Page<RunRecord>> {
    return this.sqlite.run(false, () => this.runs.listActiveRuns(page));
  }

  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    return this.sqlite.run(true, () => this.sets.takeSweepLease(holder, nowMs, untilMs));
  }

  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    return this.sqlite.run(true, () => this.sets.saveSweepLease(holder, position, release));
  }

  getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    return this.sqlite.run(false, () => this.nodes.getNode(runId, nodeId));
  }

  getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    return this.sqlite.run(false, () => this.nodes.getNodes(runId, nodeIds));
  }

  /** Always consistent: `consistent: false` allows staleness, it does not require it. */
  listNodes(runId: string): Promise<NodeRecord[]> {
    return this.sqlite.run(false, () => this.nodes.listNodes(runId));
  }

  listItems(runId: string, mapId: string, options?: ItemListOptions): Promise<NodeRecord[]> {
    return this.sqlite.run(false, () => this.nodes.listItems(runId, mapId, options));
  }

  seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    return this.sqlite.run(true, () => this.nodes.seedItem(runId, itemId, seed, expiresAt));
  }

  arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch?: number,
  ): Promise<{ applied: boolean; node: NodeRecord }> {
    return this.sqlite.run(true, () => this.nodes.arrive(runId, nodeId, parentId, outcome, expiresAt, epoch));
  }

  updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    return this.sqlite.run(true, () => {
      const written = this.nodes.writeNode(runId, nodeId, when, change, expiresAt);
      return written.applied ? written.node : undefined;
    });
  }

  tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }> {
    return this.sqlite.run(true, () => {
      const written = this.nodes.writeNode(runId, nodeId, when, change, expiresAt);
      if (written.applied) return written;
      return written.node ? { applied: false, node: written.node } : { applied: false };
    });
  }

  resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    return this.sqlite.run(true, () => this.nodes.resetNode(runId, nodeId, arrivals, expiresAt, epoch));
  }

  addDone(
    runId: string,
    setKey: string,
    member: number,
    expiresAt: number,
  ): Promise<{ applied: boolean; size: number }> {
    return this.sqlite.run(true, () => this.sets.addDone(runId, setKey, member, expiresAt));
  }

  addDoneAll(runId: string, setKey: string, members: readonly number[], expiresAt: number): Promise<number> {
    return this.sqlite.run(true, () => this.sets.addDoneAll(runId, setKey, members, expiresAt));
  }

  acquireSlot(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    return this.sqlite.run(true, () => this.sets.acquireSlot(tenant, workflow, runId, max));
  }

  releaseSlot(tenant: string, workflow: string, runId: string): Promise<void> {
    return this.sqlite.run(true, () => this.sets.releaseSlot(tenant, workflow, runId));
  }

  slotHolders(tenant: string, workflow: string): Promise<string[]> {
    return this.sqlite.run(false, () => this.sets.slotHolders(tenant, workflow));
  }

  addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): Promise<void> {
    return this.sqlite.run(true, () => this.sets.addWaiting(tenant, workflow, runId, expiresAt));
  }

  removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    return this.sqlite.run(true, () => this.sets.removeWaiting(tenant, workflow, runId));
  }

  listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    return this.sqlite.run(false, () => this.sets.listWaiting(tenant, workflow, limit));
  }

  /** Script logs: one row per attempt, beside the node row (never in the outbox). */
  putLogs(
    runId: string,
    nodeId: string,
    attempt: number,
    logs: AttemptLogs,
    expiresAt: number,
  ): Promise<void> {
    return this.sqlite.run(true, () => {
      this.sqlite
        .statement(
          'INSERT OR REPLACE INTO run_logs (run_id, node_id, attempt, data, expires_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(runId, nodeId, attempt, JSON.stringify(logs), expiresAt);
    });
  }

  getLogs(runId: string, nodeId: string, attempt: number): Promise<AttemptLogs | undefined> {
    return this.sqlite.run(false, () => {
      const row = this.sqlite
        .statement('SELECT data FROM run_logs WHERE run_id = ? AND node_id = ? AND attempt = ?')
        .get(runId, nodeId, attempt) as { data: string } | undefined;
      return row && (JSON.parse(row.data) as AttemptLogs);
    });
  }
}
