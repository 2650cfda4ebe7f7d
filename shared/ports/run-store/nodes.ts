import type { ErrorInfo } from './runs.ts';

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
  /**
   * WAITING for an outside completion (`suspend-for-completion`): sha256 (hex) of the token a
   * completion must show. Kept once the node ends, so a late completion with the right token is
   * told "already completed" (409) rather than "wrong token"; a retry's reset clears it.
   */
  readonly completionTokenHash?: string;
  /** The token itself, only while the node waits for it (shown in the run view and `node.waiting`). */
  readonly completionToken?: string;
  /** How long the node waits without a completion or heartbeat: a heartbeat moves `wakeAt` this far. */
  readonly completionWindowMs?: number;
  /** What the accepted completion gave, until the claim it wakes settles the node. */
  readonly completion?: Completion;
  /**
   * A `workflow` node: the child run it started (kept once the node ends, for the view); the
   * claim its end wakes is a completion wake. A retry's backoff and a run retry clear it.
   */
  readonly childRunId?: string;
  /**
   * A `workflow` node between deciding to start its child and waiting for it: the idempotency key
   * of that start, so a takeover after a crash finds the same child instead of starting another.
   * A kind that `startsOnce` (`stepfunctions`): `a<attempt>`, the attempt starting its work.
   */
  readonly spawnKey?: string;
  /**
   * A `map` node waiting for its items: the fence of the claim that seeded them (items seeded by an
   * older claim are not its own), how many items the list has, and how many lanes run them.
   */
  readonly mapRound?: number;
  readonly mapTotal?: number;
  readonly mapLanes?: number;
  /** A map item (`<map>[<index>]`): its value (`$item`) and that value's hash. */
  readonly item?: unknown;
  readonly itemHash?: string;
  /** A map item: its lane (items of a lane run one after the other), and the lanes of its round. */
  readonly lane?: number;
  readonly lanes?: number;
  /** A map item: the index of the item its lane runs after it; absent for the lane's last. */
  readonly next?: number;
  /** A map item: the `mapRound` of the claim that seeded it (a later seeding replaces it). */
  readonly seededBy?: number;
  /**
   * WAITING for outside work named by this reference (a `stepfunctions` node: the execution ARN);
   * its end completes the node only while the node still holds it. Kept once the node ends (for
   * the view); a retry's backoff and a run retry clear it.
   */
  readonly awaitRef?: string;
  readonly expiresAt: number;
}

/** What `seedItem` writes on a map item: everything else of the item is cleared. */
export interface ItemSeed {
  readonly item: unknown;
  readonly itemHash: string;
  readonly lane: number;
  readonly lanes: number;
  readonly next?: number;
  readonly seededBy: number;
  readonly epoch: number;
}

/** What an outside completion gives a node waiting for it. */
export type Completion =
  | { readonly output: unknown; readonly error?: undefined }
  | { readonly error: { readonly code: string; readonly message: string }; readonly output?: undefined };

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
      | 'completionTokenHash'
      | 'completionToken'
      | 'completionWindowMs'
      | 'completion'
      | 'childRunId'
      | 'spawnKey'
      | 'mapRound'
      | 'mapTotal'
      | 'mapLanes'
      | 'awaitRef'
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
    | 'completionTokenHash'
    | 'completionToken'
    | 'completionWindowMs'
    | 'completion'
    | 'childRunId'
    | 'spawnKey'
    | 'mapRound'
    | 'awaitRef'
  )[];
}

/** A page of a map's items: from index `fromIndex` on, at most `limit` of them. */
export interface ItemListOptions extends NodeListOptions {
  /** @default 0 */
  readonly fromIndex?: number;
  /** @default every item */
  readonly limit?: number;
}

export interface NodeListOptions {
  /**
   * `false`: an eventually consistent read, half the price on DynamoDB, which may miss writes of
   * the last moment (about a second). For a reader whose every action is a conditional write (the
   * sweeper). @default true
   */
  readonly consistent?: boolean;
}

/** Node items: reads, arrivals from parents, and conditional node writes. */
export interface RunStoreNodes {
  getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined>;
  /** The node items that exist among `nodeIds` (at most 100), in no particular order. */
  getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]>;
  /**
   * Every node item of the run, without the items of its maps. O(run): for reads and run
   * controls, never per node.
   */
  listNodes(runId: string, options?: NodeListOptions): Promise<NodeRecord[]>;
  /**
   * The items of map `mapId` (`<mapId>[<index>]`), in index order (a page of them with
   * `options`). O(items): read when a map starts or ends, and by run controls; the API reads pages.
   */
  listItems(runId: string, mapId: string, options?: ItemListOptions): Promise<NodeRecord[]>;
  /**
   * Seeds map item `itemId` for a round of its map: writes `seed`, sets `attempt` to 0, bumps
   * `fence` and clears every other field (status, output, error, ...), unless the item was seeded
   * by this round or a later one (`seededBy >= seed.seededBy`): a worker that lost the map to a
   * takeover cannot reset an item the new round already runs. Returns whether it wrote.
   */
  seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean>;
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
}
