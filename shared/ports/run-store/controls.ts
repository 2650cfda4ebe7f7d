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

/** Extra conditions of `updateRun`, on top of the status. */
export interface RunCondition {
  /** The pending control must be this one, or there must be none (`'none'`). */
  readonly control?: ControlRef | 'none';
}
