/** Sink counting: a run's epoch ends when every sink is in the epoch's done-sets. */
export interface RunStoreDoneSets {
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
}
