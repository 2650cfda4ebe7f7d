/** Run concurrency (`engine/concurrency.ts`): a workflow's run slots and its waiting line. */
export interface RunStoreSlots {
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
