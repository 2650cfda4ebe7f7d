import type { RunCondition, RunControl } from './controls.ts';

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

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  /** The node the error came from, on a run's error. */
  readonly nodeId?: string;
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
  /**
   * When a worker last saw the run move (finished a node), recorded at most about once a minute
   * (`markProgress`): the sweeper leaves a run that moved recently alone. Not in the indexes.
   */
  readonly progressAt?: string;
  readonly endedAt?: string;
  /** Run timeout: past this time the run is TIMED_OUT. */
  readonly deadline?: string;
  /** When the current epoch started: `createdAt`, or the time a retry restarted the run. */
  readonly epochStartedAt?: string;
  /** A control (stop, retry) that has started and not finished. */
  readonly control?: RunControl;
  /** A child run (started by a `workflow` node): the node that waits for it. */
  readonly parent?: RunParent;
  /** A run a trigger started: which one, and the firing's scheduled time or delivery. */
  readonly trigger?: RunTrigger;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
}

/** The trigger firing that started a run. */
export interface RunTrigger {
  readonly triggerId: string;
  /** Cron: the scheduled time of the firing (not when it ran). */
  readonly scheduledAt?: string;
  /** Webhook: the delivery's `webhook-id`. */
  readonly deliveryId?: string;
  /** Event: the bus event's id. */
  readonly eventId?: string;
}

/** The `workflow` node a child run reports its end to. */
export interface RunParent {
  readonly runId: string;
  readonly nodeId: string;
  /** The parent run's epoch and the node's attempt when it started the child. */
  readonly epoch: number;
  readonly attempt: number;
  /** Levels of sub-workflows above this run: a child of a top-level run has depth 1. */
  readonly depth: number;
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

/** The run item and its inputs: creation, reads and conditional run writes. */
export interface RunStoreRuns {
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
   * Records that the run moved at `at`, unless its recorded progress is already at or after
   * `ifBefore` (so busy workers write it about once per interval, not per node) or the run is
   * gone. Touches no index.
   */
  markProgress(runId: string, at: string, ifBefore: string): Promise<void>;
}
