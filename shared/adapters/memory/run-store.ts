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
import { MemoryRunSlots, MemorySweepLease } from './run-slots.ts';
import { MemoryDoneSets } from './run-store-done-sets.ts';
import { listActiveRuns, listRuns } from './run-store-listing.ts';
import { MemoryNodes } from './run-store-nodes.ts';
import { MemoryRuns } from './run-store-runs.ts';

/**
 * In-process run store with the same contract as the DynamoDB adapter (the contract suite runs
 * on both). Every method applies its condition and write in one synchronous step, which is what
 * a DynamoDB conditional write guarantees. Values are copied in and out.
 *
 * The parts follow the port's: runs (`run-store-runs.ts`), their listings
 * (`run-store-listing.ts`), nodes (`run-store-nodes.ts`), done-sets (`run-store-done-sets.ts`),
 * slots, waiting lines and the sweep lease (`run-slots.ts`). This class counts calls and
 * delegates.
 * @example const runs = new MemoryRunStore(); await runs.getRun(runId); runs.calls.get('getRun')
 */
export class MemoryRunStore implements RunStore {
  private readonly runs = new MemoryRuns();
  private readonly nodes = new MemoryNodes();
  private readonly done = new MemoryDoneSets();
  /** Concurrency slots and waiting lines (`engine/concurrency.ts`). */
  private readonly lines = new MemoryRunSlots();
  private readonly lease = new MemorySweepLease();
  /** Script logs by `<runId> <nodeId> <attempt>`. */
  private readonly logs = new Map<string, AttemptLogs>();
  /** Counts of calls, by method: the engine tests use them to check per-node costs. */
  readonly calls = new Map<string, number>();

  createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    this.count('createRun');
    return this.runs.createRun(run, inputs);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    this.count('getRun');
    return this.runs.getRun(runId);
  }

  getInputs(runId: string): Promise<unknown> {
    this.count('getInputs');
    return this.runs.getInputs(runId);
  }

  updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when?: RunCondition,
  ): Promise<RunRecord | undefined> {
    this.count('updateRun');
    return this.runs.updateRun(runId, ifStatus, change, when);
  }

  markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    this.count('markProgress');
    return this.runs.markProgress(runId, at, ifBefore);
  }

  recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    this.count('recordFailure');
    return this.runs.recordFailure(runId, error, updatedAt);
  }

  async listRuns(tenant: string, query?: RunQuery): Promise<Page<RunRecord>> {
    this.count('listRuns');
    return listRuns(this.runs.all(), tenant, query);
  }

  async listActiveRuns(page?: PageRequest): Promise<Page<RunRecord>> {
    this.count('listActiveRuns');
    return listActiveRuns(this.runs.all(), page);
  }

  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    this.count('takeSweepLease');
    return this.lease.take(holder, nowMs, untilMs);
  }

  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    this.count('saveSweepLease');
    return this.lease.save(holder, position, release);
  }

  getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    this.count('getNode');
    return this.nodes.getNode(runId, nodeId);
  }

  getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    this.count('getNodes');
    return this.nodes.getNodes(runId, nodeIds);
  }

  listNodes(runId: string, options?: NodeListOptions): Promise<NodeRecord[]> {
    this.count('listNodes');
    return this.nodes.listNodes(runId, options);
  }

  listItems(runId: string, mapId: string, options?: ItemListOptions): Promise<NodeRecord[]> {
    this.count('listItems');
    return this.nodes.listItems(runId, mapId, options);
  }

  seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    this.count('seedItem');
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
    this.count('arrive');
    return this.nodes.arrive(runId, nodeId, parentId, outcome, expiresAt, epoch);
  }

  updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    this.count('updateNode');
    return this.nodes.updateNode(runId, nodeId, when, change, expiresAt);
  }

  tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }> {
    this.count('tryUpdateNode');
    return this.nodes.tryUpdateNode(runId, nodeId, when, change, expiresAt);
  }

  resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    this.count('resetNode');
    return this.nodes.resetNode(runId, nodeId, arrivals, expiresAt, epoch);
  }

  addDone(runId: string, setKey: string, member: number): Promise<{ applied: boolean; size: number }> {
    this.count('addDone');
    return this.done.addDone(runId, setKey, member);
  }

  addDoneAll(runId: string, setKey: string, members: readonly number[]): Promise<number> {
    this.count('addDoneAll');
    return this.done.addDoneAll(runId, setKey, members);
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

  async putLogs(runId: string, nodeId: string, attempt: number, logs: AttemptLogs): Promise<void> {
    this.count('putLogs');
    this.logs.set(`${runId} ${nodeId} ${attempt}`, structuredClone(logs));
  }

  async getLogs(runId: string, nodeId: string, attempt: number): Promise<AttemptLogs | undefined> {
    this.count('getLogs');
    const logs = this.logs.get(`${runId} ${nodeId} ${attempt}`);
    return logs && structuredClone(logs);
  }

  private count(method: string) {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}
