/** Where the sweeper is in the active runs, kept in its lease between sweeps. */
export interface SweepPosition {
  /** A cursor of `listActiveRuns`; absent: its start. */
  readonly cursor?: string;
  /** Times the sweeper has gone through the whole listing (runs read node by node every few rounds count on it). */
  readonly round: number;
}

/** The sweeper's lease: one sweep at a time, each going on from where the last stopped. */
export interface RunStoreSweepLease {
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
}
