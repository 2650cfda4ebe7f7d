import { parseItemId } from '../../domain/map-items.ts';
import type {
  ItemListOptions,
  ItemSeed,
  NodeChange,
  NodeCondition,
  NodeListOptions,
  NodeRecord,
  Outcome,
  RunStoreNodes,
} from '../../ports/run-store.ts';
import { assertItemSize, clone, type Mutable } from './run-store-values.ts';

/** The memory run store's node items, with each condition and write in one synchronous step. */
export class MemoryNodes implements RunStoreNodes {
  /** Node items by run, then by node id: `listNodes` reads one run's items only. */
  private readonly nodes = new Map<string, Map<string, NodeRecord>>();

  async getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    return clone(this.nodes.get(runId)?.get(nodeId));
  }

  async getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    if (nodeIds.length > 100) throw new RangeError(`getNodes takes at most 100 ids, got ${nodeIds.length}`);
    return [...new Set(nodeIds)].flatMap((nodeId) => {
      const node = this.nodes.get(runId)?.get(nodeId);
      return node ? [clone(node)] : [];
    });
  }

  /** Always consistent: `options.consistent: false` allows staleness, it does not require it. */
  async listNodes(runId: string, _options?: NodeListOptions): Promise<NodeRecord[]> {
    return [...(this.nodes.get(runId)?.values() ?? [])]
      .filter((node) => parseItemId(node.nodeId) === undefined)
      .map(clone);
  }

  async listItems(runId: string, mapId: string, options: ItemListOptions = {}): Promise<NodeRecord[]> {
    const from = options.fromIndex ?? 0;
    const items: [number, NodeRecord][] = [];
    for (const node of this.nodes.get(runId)?.values() ?? []) {
      const item = parseItemId(node.nodeId);
      if (item?.mapId === mapId && item.index >= from) items.push([item.index, node]);
    }
    const sorted = items.sort(([a], [b]) => a - b).map(([, node]) => clone(node));
    return options.limit === undefined ? sorted : sorted.slice(0, options.limit);
  }

  async seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    const current = this.nodes.get(runId)?.get(itemId);
    if (current?.seededBy !== undefined && current.seededBy >= seed.seededBy) return false;
    const { next, ...rest } = seed;
    const seeded: NodeRecord = {
      ...blankNode(runId, itemId, expiresAt),
      ...clone(rest),
      ...(next === undefined ? {} : { next }),
      fence: (current?.fence ?? 0) + 1,
    };
    assertItemSize(seeded, `item ${itemId} of run ${runId}`);
    this.setNode(seeded);
    return true;
  }

  async arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch = 0,
  ): Promise<{ applied: boolean; node: NodeRecord }> {
    const existing = this.nodes.get(runId)?.get(nodeId);
    const current = existing ?? blankNode(runId, nodeId, expiresAt);
    if (current.arrived.includes(parentId) || (current.epoch ?? 0) !== epoch || (!existing && epoch !== 0)) {
      return { applied: false, node: clone(current) };
    }
    const next: NodeRecord = {
      ...current,
      arrived: [...current.arrived, parentId],
      failedParents: outcome === 'FAILED' ? [...current.failedParents, parentId] : current.failedParents,
      skippedParents: outcome === 'SKIPPED' ? [...current.skippedParents, parentId] : current.skippedParents,
    };
    this.setNode(next);
    return { applied: true, node: clone(next) };
  }

  async updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    const written = this.writeNode(runId, nodeId, when, change, expiresAt);
    return written.applied ? written.node : undefined;
  }

  async tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }> {
    const written = this.writeNode(runId, nodeId, when, change, expiresAt);
    if (written.applied) return written;
    const { node } = written;
    return node ? { applied: false, node } : { applied: false };
  }

  async resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    const current = this.nodes.get(runId)?.get(nodeId);
    if (current?.status === 'RUNNING' || (current?.epoch ?? 0) >= epoch) return false;
    this.setNode({
      runId,
      nodeId,
      attempt: current?.attempt ?? 0,
      fence: (current?.fence ?? 0) + 1,
      epoch,
      ...clone(arrivals),
      expiresAt,
    });
    return true;
  }

  private writeNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): { applied: true; node: NodeRecord } | { applied: false; node: NodeRecord | undefined } {
    const current = this.nodes.get(runId)?.get(nodeId);
    if (!nodeMatches(current, when)) return { applied: false, node: clone(current) };
    const next = changedNode(current ?? blankNode(runId, nodeId, expiresAt), clone(change));
    assertItemSize(next, `node ${nodeId} of run ${runId}`);
    this.setNode(next);
    return { applied: true, node: clone(next) };
  }

  private setNode(node: NodeRecord) {
    const ofRun = this.nodes.get(node.runId) ?? new Map<string, NodeRecord>();
    this.nodes.set(node.runId, ofRun);
    ofRun.set(node.nodeId, node);
  }
}

/**
 * Applies a node change to a copy of `node` (not copying `change`'s values: the caller gives its
 * own copy). Shared with the SQLite adapter, so both apply a change alike.
 */
export function changedNode(node: NodeRecord, change: NodeChange): NodeRecord {
  const merged: Mutable<NodeRecord> = { ...node, ...change.set };
  if (change.startedAtIfAbsent !== undefined && merged.startedAt === undefined) {
    merged.startedAt = change.startedAtIfAbsent;
  }
  if (change.addAttempt) merged.attempt += change.addAttempt;
  if (change.bumpFence) merged.fence += 1;
  const remove = change.remove;
  if (remove === undefined || !remove.some((field) => field in merged)) return merged;
  // A copy without the removed fields rather than `delete`, which turns the object into a slow
  // dictionary (every later copy and JSON.stringify of it pays).
  const next: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) {
    if (!(remove as readonly string[]).includes(key)) next[key] = value;
  }
  return next as unknown as NodeRecord;
}

/** Whether a node item (undefined: none) meets a write's condition. Shared with the SQLite adapter. */
export function nodeMatches(node: NodeRecord | undefined, when: NodeCondition): boolean {
  const status = node?.status ?? 'ABSENT';
  if (when.fence !== undefined && node?.fence !== when.fence) return false;
  if (when.epoch !== undefined && (node?.epoch ?? 0) !== when.epoch) return false;
  if (when.arrivedCount !== undefined && (node?.arrived.length ?? 0) !== when.arrivedCount) return false;
  if (when.status.includes(status)) return true;
  if (
    when.orDueBefore !== undefined &&
    (status === 'RETRY_WAIT' || status === 'WAITING') &&
    node?.wakeAt !== undefined &&
    node.wakeAt <= when.orDueBefore
  ) {
    return true;
  }
  return (
    when.orLeaseExpiredBefore !== undefined &&
    status === 'RUNNING' &&
    node?.leaseUntil !== undefined &&
    node.leaseUntil < when.orLeaseExpiredBefore &&
    (when.takeoverBelowAttempt === undefined || node.attempt < when.takeoverBelowAttempt)
  );
}

/** A node item with no status and no arrivals. */
export function blankNode(runId: string, nodeId: string, expiresAt: number): NodeRecord {
  return {
    runId,
    nodeId,
    attempt: 0,
    fence: 0,
    arrived: [],
    failedParents: [],
    skippedParents: [],
    expiresAt,
  };
}
