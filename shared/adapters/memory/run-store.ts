import { SkeinError } from '../../domain/problems.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import {
  ACTIVE_RUN_STATUSES,
  type ErrorInfo,
  ItemTooLargeError,
  MAX_ITEM_BYTES,
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
import { MemoryRunSlots, MemorySweepLease } from './run-slots.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * In-process run store with the same contract as the DynamoDB adapter (the contract suite runs
 * on both). Every method applies its condition and write in one synchronous step, which is what
 * a DynamoDB conditional write guarantees. Values are copied in and out.
 */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly inputs = new Map<string, unknown>();
  private readonly idempotency = new Map<string, string>();
  /** Node items by run, then by node id: `listNodes` reads one run's items only. */
  private readonly nodes = new Map<string, Map<string, NodeRecord>>();
  private readonly done = new Map<string, Set<number>>();
  /** Concurrency slots and waiting lines (`engine/concurrency.ts`). */
  private readonly lines = new MemoryRunSlots();
  private readonly lease = new MemorySweepLease();
  /** Counts of calls, by method: the engine tests use them to check per-node costs. */
  readonly calls = new Map<string, number>();

  async createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    this.count('createRun');
    const idempotencyKey = run.idempotencyKey && `${run.tenant}\u0000${run.idempotencyKey}`;
    const existing = idempotencyKey ? this.idempotency.get(idempotencyKey) : undefined;
    if (existing !== undefined) {
      const found = this.runs.get(existing);
      if (found) return { run: clone(found), created: false };
    }
    if (this.runs.has(run.runId))
      throw new RunStoreError(`cannot create run ${run.runId}: it already exists`);
    this.runs.set(run.runId, clone(run));
    this.inputs.set(run.runId, clone(inputs));
    if (idempotencyKey) this.idempotency.set(idempotencyKey, run.runId);
    return { run: clone(run), created: true };
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.count('getRun');
    return clone(this.runs.get(runId));
  }

  async getInputs(runId: string): Promise<unknown> {
    this.count('getInputs');
    return clone(this.inputs.get(runId));
  }

  async updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when: RunCondition = {},
  ): Promise<RunRecord | undefined> {
    this.count('updateRun');
    const run = this.runs.get(runId);
    if (!run || !ifStatus.includes(run.status)) return undefined;
    if (when.control === 'none' && run.control !== undefined) return undefined;
    // A run with a pending control only ends through that control (see RunChange).
    const ends = change.status !== undefined && !ACTIVE_RUN_STATUSES.includes(change.status);
    if (ends && change.control === undefined && !change.remove?.includes('control') && run.control) {
      return undefined;
    }
    if (
      typeof when.control === 'object' &&
      (run.control?.action !== when.control.action || run.control.epoch !== when.control.epoch)
    ) {
      return undefined;
    }
    const { remove, ...fields } = change;
    const next: Mutable<RunRecord> = { ...run, ...clone(fields) };
    for (const field of remove ?? []) delete next[field];
    assertItemSize(next, `run ${runId}`);
    this.runs.set(runId, next);
    return clone(next);
  }

  async markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    this.count('markProgress');
    const run = this.runs.get(runId);
    if (!run || (run.progressAt !== undefined && run.progressAt >= ifBefore)) return;
    this.runs.set(runId, { ...run, progressAt: at });
  }

  async recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    this.count('recordFailure');
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.set(runId, { ...run, failed: true, error: run.error ?? clone(error), updatedAt });
  }

  async listRuns(tenant: string, query: RunQuery = {}): Promise<Page<RunRecord>> {
    this.count('listRuns');
    const all = [...this.runs.values()]
      .filter(
        (run) =>
          run.tenant === tenant &&
          (query.workflow === undefined || run.workflow === query.workflow) &&
          (query.status === undefined || run.status === query.status),
      )
      .sort((a, b) => (a.runId < b.runId ? 1 : -1));
    return withoutOutputs(pageAfter(all, query, `runs:${tenant}`, 'newest'));
  }

  async listActiveRuns(page: PageRequest = {}): Promise<Page<RunRecord>> {
    this.count('listActiveRuns');
    const all = [...this.runs.values()]
      .filter((run) => ACTIVE_RUN_STATUSES.includes(run.status) || run.control !== undefined)
      .sort((a, b) => (a.runId < b.runId ? -1 : 1));
    return withoutOutputs(pageAfter(all, page, 'active', 'oldest'));
  }

  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    this.count('takeSweepLease');
    return this.lease.take(holder, nowMs, untilMs);
  }

  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    this.count('saveSweepLease');
    return this.lease.save(holder, position, release);
  }

  async getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    this.count('getNode');
    return clone(this.nodes.get(runId)?.get(nodeId));
  }

  async getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    this.count('getNodes');
    if (nodeIds.length > 100) throw new RangeError(`getNodes takes at most 100 ids, got ${nodeIds.length}`);
    return [...new Set(nodeIds)].flatMap((nodeId) => {
      const node = this.nodes.get(runId)?.get(nodeId);
      return node ? [clone(node)] : [];
    });
  }

  /** Always consistent: `options.consistent: false` allows staleness, it does not require it. */
  async listNodes(runId: string, _options?: NodeListOptions): Promise<NodeRecord[]> {
    this.count('listNodes');
    return [...(this.nodes.get(runId)?.values() ?? [])].map(clone);
  }

  async arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch = 0,
  ) {
    this.count('arrive');
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
    this.count('updateNode');
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
    this.count('tryUpdateNode');
    const written = this.writeNode(runId, nodeId, when, change, expiresAt);
    if (written.applied) return written;
    const { node } = written;
    return node ? { applied: false, node } : { applied: false };
  }

  private writeNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): { applied: true; node: NodeRecord } | { applied: false; node: NodeRecord | undefined } {
    const current = this.nodes.get(runId)?.get(nodeId);
    if (!matches(current, when)) return { applied: false, node: clone(current) };
    const next: Mutable<NodeRecord> = {
      ...(current ?? blankNode(runId, nodeId, expiresAt)),
      ...clone(change.set ?? {}),
    };
    if (change.startedAtIfAbsent !== undefined && next.startedAt === undefined) {
      next.startedAt = change.startedAtIfAbsent;
    }
    if (change.addAttempt) next.attempt += change.addAttempt;
    if (change.bumpFence) next.fence += 1;
    for (const field of change.remove ?? []) delete next[field];
    assertItemSize(next, `node ${nodeId} of run ${runId}`);
    this.setNode(next);
    return { applied: true, node: clone(next) };
  }

  async resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    this.count('resetNode');
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

  async addDone(runId: string, setKey: string, member: number): Promise<{ applied: boolean; size: number }> {
    this.count('addDone');
    const id = key(runId, setKey);
    const set = this.done.get(id) ?? new Set<number>();
    this.done.set(id, set);
    const applied = !set.has(member);
    set.add(member);
    return { applied, size: set.size };
  }

  async addDoneAll(runId: string, setKey: string, members: readonly number[]): Promise<number> {
    this.count('addDoneAll');
    if (members.length === 0) throw new RangeError('addDoneAll needs at least one member');
    const id = key(runId, setKey);
    const set = this.done.get(id) ?? new Set<number>();
    this.done.set(id, set);
    for (const member of members) set.add(member);
    return set.size;
  }

  acquireSlot(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    this.count('acquireSlot');
    return this.lines.acquire(tenant, workflow, runId, max);
  }

  releaseSlot(tenant: string, workflow: string, runId: string): Promise<void> {
    this.count('releaseSlot');
    return this.lines.release(tenant, workflow, runId);
  }

  slotHolders(tenant: string, workflow: string): Promise<string[]> {
    this.count('slotHolders');
    return this.lines.holders(tenant, workflow);
  }

  addWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    this.count('addWaiting');
    return this.lines.addWaiting(tenant, workflow, runId);
  }

  removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    this.count('removeWaiting');
    return this.lines.removeWaiting(tenant, workflow, runId);
  }

  listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    this.count('listWaiting');
    return this.lines.listWaiting(tenant, workflow, limit);
  }

  private setNode(node: NodeRecord) {
    const ofRun = this.nodes.get(node.runId) ?? new Map<string, NodeRecord>();
    this.nodes.set(node.runId, ofRun);
    ofRun.set(node.nodeId, node);
  }

  private count(method: string) {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}

/** DynamoDB refuses items over 400 KB; so does this store, measuring the item as JSON. */
function assertItemSize(item: object, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(item), 'utf8');
  if (bytes > MAX_ITEM_BYTES) {
    throw new ItemTooLargeError(
      `${what} would be ${bytes} bytes, over the ${MAX_ITEM_BYTES}-byte item limit`,
    );
  }
}

/** Listings leave `outputs` out, as the DynamoDB indexes do (they do not project them). */
function withoutOutputs(page: Page<RunRecord>): Page<RunRecord> {
  return { ...page, items: page.items.map(({ outputs: _outputs, ...run }) => run) };
}

function matches(node: NodeRecord | undefined, when: NodeCondition): boolean {
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

/**
 * Pages runs sorted by runId. The cursor holds the listing and the last runId returned, and the
 * next page starts after that position, so a run that left the listing since (ended, changed
 * status) does not invalidate the cursor, as with DynamoDB's ExclusiveStartKey.
 */
function pageAfter(
  runs: readonly RunRecord[],
  page: PageRequest,
  listing: string,
  order: 'newest' | 'oldest',
): Page<RunRecord> {
  const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
  const after = page.cursor === undefined ? undefined : positionIn(page.cursor, listing);
  const rest =
    after === undefined
      ? runs
      : runs.filter((run) => (order === 'newest' ? run.runId < after : run.runId > after));
  const items = rest.slice(0, limit).map(clone);
  const last = items.at(-1);
  if (rest.length <= limit || !last) return { items };
  const cursor = Buffer.from(JSON.stringify({ listing, after: last.runId }), 'utf8').toString('base64url');
  return { items, cursor };
}

function positionIn(cursor: string, listing: string): string {
  let parsed: { listing?: unknown; after?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (parsed?.listing !== listing || typeof parsed.after !== 'string') {
    throw new SkeinError(
      'INVALID_CURSOR',
      'the cursor is not valid for this listing; start again without it',
      'invalid',
    );
  }
  return parsed.after;
}

function blankNode(runId: string, nodeId: string, expiresAt: number): NodeRecord {
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

const key = (runId: string, id: string) => `${runId}\u0000${id}`;

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
