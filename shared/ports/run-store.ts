import type { Page, PageRequest } from './page.ts';

/**
 * The run store port: run state as one small run item plus one item per node, every write
 * conditional and O(1) in the size of the run (see "Run state" in shared/ARCHITECTURE.md).
 * The engine (`shared/engine/run-engine.ts`) owns the rules; adapters only store and check
 * conditions atomically. Reads are strongly consistent, except the run listings (`listRuns`,
 * `listActiveRuns`), which read indexes and may lag a write by a moment.
 *
 * Values: `inputs`, a run's `outputs` and a node's `output` are JSON values (adapters may store
 * them as JSON text). An optional field given as `undefined` in a change ends up absent, as if
 * removed. The arrival sets come back in no particular order.
 */

export const RUN_STATUSES = [
  'QUEUED',
  'RUNNING',
  'PAUSED',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
/** Runs the sweeper watches (the `active` index holds exactly these). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING', 'PAUSED'];

export const NODE_STATUSES = [
  'PENDING',
  'READY',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELLED',
  'RETRY_WAIT',
  'WAITING',
  'PARKED',
] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
export const TERMINAL_NODE_STATUSES: readonly NodeStatus[] = ['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'];

/** What a finished parent passes down an edge. */
export type Outcome = 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  /** The node the error came from, on a run's error. */
  readonly nodeId?: string;
}

/**
 * A run control that has started and not finished: a stop (cancel, time-out) marking the nodes
 * that have not started, or a retry resetting nodes. While one is pending the run stays in the
 * sweeper's listing, so a crashed or cut-off control is finished later, by the sweeper, a worker
 * (a control message) or the next call of the same control.
 */
export interface RunControl {
  readonly action: 'retry' | 'cancel' | 'time_out';
  /** The run's epoch the control works in (a retry's new epoch). */
  readonly epoch: number;
  /** A retry's named nodes (absent: every failed or cancelled node). */
  readonly nodes?: readonly string[];
  /** Nodes the control has to write, and how many it wrote (progress; set as it goes). */
  readonly total?: number;
  readonly done?: number;
  /** When the control started. */
  readonly since: string;
}

/** Names one pending control, for a condition: the run's control must be this one. */
export interface ControlRef {
  readonly action: RunControl['action'];
  readonly epoch: number;
}

export interface RunRecord {
  readonly runId: string;
  readonly tenant: string;
  readonly workflow: string;
  /** The exact version the run is pinned to. */
  readonly version: string;
  readonly status: RunStatus;
  /** Sinks (nodes without children) of the pinned definition; the run ends when all are done. */
  readonly sinkCount: number;
  /** Bumped by every `retry` control; sink done-sets are per epoch. */
  readonly epoch: number;
  /** Set by the first node that fails without `continueOnError`: the run will end FAILED. */
  readonly failed?: boolean;
  readonly outputs?: unknown;
  readonly error?: ErrorInfo;
  readonly idempotencyKey?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
  /** Run timeout: past this time the run is TIMED_OUT. */
  readonly deadline?: string;
  /** When the current epoch started: `createdAt`, or the time a retry restarted the run. */
  readonly epochStartedAt?: string;
  /** A control (stop, retry) that has started and not finished. */
  readonly control?: RunControl;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
}

/**
 * The fields a conditional run update may change. A change that sets or removes `control` also
 * gives `status` (the adapters keep the sweeper's index in step with both). A change to an
 * inactive status that neither sets nor removes `control` applies only when no control is
 * pending: a run with a pending control ends through that control.
 */
export type RunChange = Partial<
  Pick<
    RunRecord,
    | 'status'
    | 'failed'
    | 'outputs'
    | 'error'
    | 'endedAt'
    | 'epoch'
    | 'expiresAt'
    | 'deadline'
    | 'control'
    | 'epochStartedAt'
  >
> & {
  /** Removes these fields (e.g. `error` when a retry starts over). */
  readonly remove?: readonly ('error' | 'endedAt' | 'outputs' | 'failed' | 'control')[];
};

/** Extra conditions of `updateRun`, on top of the status. */
export interface RunCondition {
  /** The pending control must be this one, or there must be none (`'none'`). */
  readonly control?: ControlRef | 'none';
}

export interface NodeRecord {
  readonly runId: string;
  readonly nodeId: string;
  /** Absent while the node only has arrivals from some of its parents. */
  readonly status?: NodeStatus;
  /** Attempts started so far (1-based once claimed). */
  readonly attempt: number;
  /** Bumped by every claim; a write from an older claim fails its condition. */
  readonly fence: number;
  /**
   * The run epoch the node belongs to: stamped by a retry's reset (absent = 0). Every node write
   * the engine makes is conditional on it, so a write decided in an older epoch cannot apply.
   */
  readonly epoch?: number;
  /** Token of the queue message that made the latest claim or state change (for safe redelivery). */
  readonly token?: string;
  readonly leaseUntil?: string;
  /** Parents that have finished, by outcome. */
  readonly arrived: readonly string[];
  readonly failedParents: readonly string[];
  readonly skippedParents: readonly string[];
  /** For a node released by a single parent: that parent's outcome (kept while parked). */
  readonly via?: Outcome;
  readonly output?: unknown;
  readonly error?: ErrorInfo;
  /** Why a node was skipped or cancelled. */
  readonly reason?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** RETRY_WAIT / WAITING: when the node may be claimed again. */
  readonly wakeAt?: string;
  /** READY: when the node's latest message was sent (a hand-back, or the sweeper re-sending it). */
  readonly readyAt?: string;
  /** How often the sweeper re-sent the node's message (it waits longer each time). */
  readonly resends?: number;
  /** How often a worker gave the node back unfinished because its own time ran out. */
  readonly handBacks?: number;
  readonly expiresAt: number;
}

/** Which node states a conditional write accepts. `ABSENT`: no status yet (or no item). */
export interface NodeCondition {
  readonly status: readonly (NodeStatus | 'ABSENT')[];
  /** Also accept `RETRY_WAIT` or `WAITING` whose `wakeAt` is at or before this ISO time. */
  readonly orDueBefore?: string;
  /** Also accept `RUNNING` whose lease ended before this ISO time (a lease takeover). */
  readonly orLeaseExpiredBefore?: string;
  /** With `orLeaseExpiredBefore`: take over only a node whose `attempt` is below this. */
  readonly takeoverBelowAttempt?: number;
  /** Require this fence (the writer still holds its claim). */
  readonly fence?: number;
  /** Require exactly this many arrived parents (a join is only claimed once complete). */
  readonly arrivedCount?: number;
  /** Require the node's epoch (an absent epoch is 0; an absent item is epoch 0 too). */
  readonly epoch?: number;
}

/** A conditional node write: sets fields, bumps counters, removes fields. */
export interface NodeChange {
  readonly set?: Partial<
    Pick<
      NodeRecord,
      | 'status'
      | 'token'
      | 'leaseUntil'
      | 'via'
      | 'output'
      | 'error'
      | 'reason'
      | 'startedAt'
      | 'endedAt'
      | 'wakeAt'
      | 'readyAt'
      | 'resends'
      | 'handBacks'
      | 'expiresAt'
    >
  >;
  /** Sets `startedAt` only when it has none. */
  readonly startedAtIfAbsent?: string;
  readonly addAttempt?: number;
  readonly bumpFence?: boolean;
  readonly remove?: readonly (
    | 'leaseUntil'
    | 'error'
    | 'wakeAt'
    | 'readyAt'
    | 'output'
    | 'reason'
    | 'endedAt'
  )[];
}

export interface NodeListOptions {
  /**
   * `false`: an eventually consistent read, half the price on DynamoDB, which may miss writes of
   * the last moment (about a second). For a reader whose every action is a conditional write (the
   * sweeper). @default true
   */
  readonly consistent?: boolean;
}

/** Where the sweeper is in the active runs, kept in its lease between sweeps. */
export interface SweepPosition {
  /** A cursor of `listActiveRuns`; absent: its start. */
  readonly cursor?: string;
  /** Times the sweeper has gone through the whole listing (runs read node by node every few rounds count on it). */
  readonly round: number;
}

export interface RunQuery extends PageRequest {
  readonly workflow?: string;
  readonly status?: RunStatus;
}

export interface RunStore {
  /**
   * Creates the run, its inputs item and, with `run.idempotencyKey`, the key's item, atomically.
   * When the tenant already has a run under that key, nothing is written and that run is
   * returned with `created: false`.
   */
  createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getInputs(runId: string): Promise<unknown>;
  /**
   * Applies `change` when the run's status is one of `ifStatus` (and `when` holds); returns the
   * updated run, or `undefined` when the condition failed (or the run does not exist).
   * `updatedAt` is set too. The run stays in `listActiveRuns` while its status is active or a
   * control is pending.
   */
  updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when?: RunCondition,
  ): Promise<RunRecord | undefined>;
  /** Marks the run failed, keeping the first error: `failed = true`, `error` only if absent. */
  recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void>;
  /**
   * Runs of a tenant, newest first, optionally of one workflow and/or one status. A page may
   * hold fewer than `limit` runs and still carry a cursor (an adapter that filters bounds its
   * work per call); only a page without a cursor ends the listing. A cursor from another
   * listing is refused with `SkeinError('INVALID_CURSOR')`.
   */
  listRuns(tenant: string, query?: RunQuery): Promise<Page<RunRecord>>;
  /**
   * Runs in QUEUED, RUNNING or PAUSED, or with a pending control, any tenant (for the sweeper).
   * Every active run is listed once across the pages; the order is the adapter's (memory: oldest
   * first; DynamoDB: shard after shard of the `active` index, each oldest first). A listed run
   * may lack `outputs` (the indexes do not carry them).
   */
  listActiveRuns(page?: PageRequest): Promise<Page<RunRecord>>;
  /**
   * Takes the sweeper's lease for `holder` until `untilMs` (epoch ms) when nobody holds it at
   * `nowMs` (never taken, given up, or expired), so two sweeps never overlap. Returns where the
   * previous sweep stopped (round 0 at the start when there was none), or undefined, writing
   * nothing, while another holder has it.
   */
  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined>;
  /**
   * Records where `holder`'s sweep has got to and, with `release`, gives the lease up. False,
   * writing nothing, when `holder` does not hold the lease (it gave it up, or it expired and
   * another sweep took it).
   */
  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean>;

  getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined>;
  /** The node items that exist among `nodeIds` (at most 100), in no particular order. */
  getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]>;
  /** Every node item of the run. O(run): for reads and run controls, never per node. */
  listNodes(runId: string, options?: NodeListOptions): Promise<NodeRecord[]>;
  /**
   * Records that `parentId` finished with `outcome`, creating the node item if needed, unless
   * that parent had already arrived or the node is of another epoch than `epoch` (default 0; an
   * item is only created in epoch 0). Returns the item after the write, or the current item (a
   * blank one when there is none) with `applied: false`.
   */
  arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch?: number,
  ): Promise<{ applied: boolean; node: NodeRecord }>;
  /**
   * Applies `change` if the node matches `when`, creating the item when `when` accepts `ABSENT`.
   * Returns the item after the write, or `undefined` when the condition failed.
   */
  updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined>;
  /**
   * `updateNode` that also says what refused the change: the item after the write with
   * `applied: true`, or the item as it was when the condition failed (`node` absent: no item)
   * with `applied: false`, from the same request (DynamoDB: `ReturnValuesOnConditionCheckFailure`),
   * so a writer that lost a race needs no second read.
   */
  tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<{ applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord }>;
  /**
   * Puts a node back to "no status" in `epoch` for a `retry` control: stamps `epoch`, keeps
   * `attempt`, bumps `fence`, replaces the arrival sets with `arrivals` and removes everything
   * else (creating the item when there is none). Returns false, writing nothing, when the node is
   * RUNNING or already of `epoch` or a later one.
   */
  resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean>;
  /**
   * Adds `member` to the done-set `setKey` of the run (sink counting, sharded so no item grows
   * with the run). Returns whether it was new and the set's size after the call.
   */
  addDone(
    runId: string,
    setKey: string,
    member: number,
    expiresAt: number,
  ): Promise<{ applied: boolean; size: number }>;
  /**
   * Adds every one of `members` (at least one) to the done-set `setKey` in one write: a retry
   * counting the sinks it keeps. Idempotent. Returns the set's size after the call.
   */
  addDoneAll(runId: string, setKey: string, members: readonly number[], expiresAt: number): Promise<number>;

  /**
   * Takes one of a workflow's `max` run slots for `runId` (`maxConcurrentRuns`). Idempotent: a
   * holder keeps its slot. False, writing nothing, when `max` other runs hold one.
   */
  acquireSlot(tenant: string, workflow: string, runId: string, max: number): Promise<boolean>;
  /** Gives back `runId`'s slot, if it holds one. Idempotent. */
  releaseSlot(tenant: string, workflow: string, runId: string): Promise<void>;
  /** The runs holding a slot of the workflow, in no particular order. */
  slotHolders(tenant: string, workflow: string): Promise<string[]>;
  /** Puts a run in the workflow's waiting line, ordered by run id (ULIDs: start order). Idempotent. */
  addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): Promise<void>;
  removeWaiting(tenant: string, workflow: string, runId: string): Promise<void>;
  /** The first `limit` runs of the waiting line, oldest first. */
  listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]>;
}

/** Thrown by adapters for a broken invariant they cannot map to a result (never for a failed condition). */
export class RunStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RunStoreError';
  }
}

/** An item would exceed the store's size limit (DynamoDB's 400 KB); nothing was written. */
export class ItemTooLargeError extends RunStoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ItemTooLargeError';
  }
}

/** DynamoDB's item size limit, which the memory adapter enforces too. */
export const MAX_ITEM_BYTES = 400 * 1024;
