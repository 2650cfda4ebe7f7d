import type { Page, PageRequest } from '../page.ts';
import type { RunRecord, RunStatus } from './runs.ts';

export interface RunQuery extends PageRequest {
  readonly workflow?: string;
  readonly status?: RunStatus;
}

/** Run listings, read from indexes: they may lag a write by a moment. */
export interface RunStoreListings {
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
}
