import { parseItemId } from '../../domain/map-items.ts';
import {
  type ItemListOptions,
  type ItemSeed,
  ItemTooLargeError,
  MAX_ITEM_BYTES,
  type NodeChange,
  type NodeCondition,
  type NodeRecord,
  type Outcome,
} from '../../ports/run-store.ts';
import { blankNode, changedNode, nodeMatches } from '../memory/run-store-nodes.ts';
import type { SqliteChangeFeed } from './change-feed.ts';
import type { SqliteDatabase } from './database.ts';

type Written = { applied: true; node: NodeRecord } | { applied: false; node: NodeRecord | undefined };

/**
 * The SQLite run store's node items (table `nodes`, one row per node or map item, the record as
 * JSON). Every write reads, checks and writes in one `BEGIN IMMEDIATE` transaction, with its
 * outbox row: the conditions are the memory adapter's own functions, so both decide alike.
 */
export class SqliteNodes {
  private readonly write: (
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ) => Written;
  private readonly arrival: (
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch: number,
  ) => { applied: boolean; node: NodeRecord };
  private readonly seed: (runId: string, itemId: string, seed: ItemSeed, expiresAt: number) => boolean;
  private readonly reset: (
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ) => boolean;

  constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly feed: SqliteChangeFeed,
  ) {
    this.write = sqlite.transaction((runId, nodeId, when, change, expiresAt) => {
      const current = this.read(runId, nodeId);
      if (!nodeMatches(current, when)) return { applied: false, node: current };
      const next = changedNode(current ?? blankNode(runId, nodeId, expiresAt), change);
      this.put(current, next);
      return { applied: true, node: next };
    });
    this.arrival = sqlite.transaction((runId, nodeId, parentId, outcome, expiresAt, epoch) => {
      const existing = this.read(runId, nodeId);
      const current = existing ?? blankNode(runId, nodeId, expiresAt);
      if (
        current.arrived.includes(parentId) ||
        (current.epoch ?? 0) !== epoch ||
        (!existing && epoch !== 0)
      ) {
        return { applied: false, node: current };
      }
      const next: NodeRecord = {
        ...current,
        arrived: [...current.arrived, parentId],
        failedParents: outcome === 'FAILED' ? [...current.failedParents, parentId] : current.failedParents,
        skippedParents:
          outcome === 'SKIPPED' ? [...current.skippedParents, parentId] : current.skippedParents,
      };
      this.put(existing, next);
      return { applied: true, node: next };
    });
    this.seed = sqlite.transaction((runId, itemId, seed, expiresAt) => {
      const current = this.read(runId, itemId);
      if (current?.seededBy !== undefined && current.seededBy >= seed.seededBy) return false;
      const { next, ...rest } = seed;
      this.put(current, {
        ...blankNode(runId, itemId, expiresAt),
        ...rest,
        ...(next === undefined ? {} : { next }),
        fence: (current?.fence ?? 0) + 1,
      });
      return true;
    });
    this.reset = sqlite.transaction((runId, nodeId, arrivals, expiresAt, epoch) => {
      const current = this.read(runId, nodeId);
      if (current?.status === 'RUNNING' || (current?.epoch ?? 0) >= epoch) return false;
      const { arrived, failedParents, skippedParents } = arrivals;
      this.put(current, {
        runId,
        nodeId,
        attempt: current?.attempt ?? 0,
        fence: (current?.fence ?? 0) + 1,
        epoch,
        arrived,
        failedParents,
        skippedParents,
        expiresAt,
      });
      return true;
    });
  }

  getNode(runId: string, nodeId: string): NodeRecord | undefined {
    return this.read(runId, nodeId);
  }

  getNodes(runId: string, nodeIds: readonly string[]): NodeRecord[] {
    if (nodeIds.length > 100) throw new RangeError(`getNodes takes at most 100 ids, got ${nodeIds.length}`);
    return [...new Set(nodeIds)].flatMap((nodeId) => {
      const node = this.read(runId, nodeId);
      return node ? [node] : [];
    });
  }

  listNodes(runId: string): NodeRecord[] {
    const rows = this.sqlite
      .statement('SELECT data FROM nodes WHERE run_id = ? AND map_id IS NULL')
      .all(runId) as { data: string }[];
    return rows.map((row) => JSON.parse(row.data) as NodeRecord);
  }

  listItems(runId: string, mapId: string, options: ItemListOptions = {}): NodeRecord[] {
    const rows = this.sqlite
      .statement(
        'SELECT data FROM nodes WHERE run_id = ? AND map_id = ? AND item_index >= ? ORDER BY item_index LIMIT ?',
      )
      .all(runId, mapId, options.fromIndex ?? 0, options.limit ?? -1) as { data: string }[];
    return rows.map((row) => JSON.parse(row.data) as NodeRecord);
  }

  seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): boolean {
    return this.seed(runId, itemId, seed, expiresAt);
  }

  arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch = 0,
  ): { applied: boolean; node: NodeRecord } {
    return this.arrival(runId, nodeId, parentId, outcome, expiresAt, epoch);
  }

  writeNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Written {
    return this.write(runId, nodeId, when, change, expiresAt);
  }

  resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): boolean {
    return this.reset(runId, nodeId, arrivals, expiresAt, epoch);
  }

  private read(runId: string, nodeId: string): NodeRecord | undefined {
    const row = this.sqlite
      .statement('SELECT data FROM nodes WHERE run_id = ? AND node_id = ?')
      .get(runId, nodeId) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as NodeRecord);
  }

  /** Writes `next` (the item was `before`) and its outbox row; throws, writing nothing, when too large. */
  private put(before: NodeRecord | undefined, next: NodeRecord): void {
    const data = JSON.stringify(next);
    assertSize(data, `node ${next.nodeId} of run ${next.runId}`);
    const item = parseItemId(next.nodeId);
    this.sqlite
      .statement(
        `INSERT INTO nodes (run_id, node_id, map_id, item_index, expires_at, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, node_id) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data`,
      )
      .run(next.runId, next.nodeId, item?.mapId ?? null, item?.index ?? null, next.expiresAt, data);
    if (!item) this.feed.node(before, next, data);
  }
}

/** DynamoDB's 400 KB item limit, on the record's JSON (as the memory adapter measures it). */
export function assertSize(json: string, what: string): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most records need no byte count.
  if (json.length * 3 <= MAX_ITEM_BYTES) return;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_ITEM_BYTES) {
    throw new ItemTooLargeError(
      `${what} would be ${bytes} bytes, over the ${MAX_ITEM_BYTES}-byte item limit`,
    );
  }
}
