import type { RunStoreDoneSets } from './run-store/done-sets.ts';
import type { RunStoreListings } from './run-store/listings.ts';
import type { RunStoreLogs } from './run-store/logs.ts';
import type { RunStoreNodes } from './run-store/nodes.ts';
import type { RunStoreRuns } from './run-store/runs.ts';
import type { RunStoreSlots } from './run-store/slots.ts';
import type { RunStoreSweepLease } from './run-store/sweep-lease.ts';

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
 *
 * The contract is split by responsibility under `run-store/`: runs, controls (pending stops and
 * retries), nodes, done-sets, listings, slots, the sweep lease, script logs, and the errors. Import from
 * this file: it composes `RunStore` and re-exports every part.
 */
export interface RunStore
  extends RunStoreRuns,
    RunStoreListings,
    RunStoreSweepLease,
    RunStoreNodes,
    RunStoreDoneSets,
    RunStoreSlots,
    RunStoreLogs {}

export type { ControlRef, RunCondition, RunControl } from './run-store/controls.ts';
export type { RunStoreDoneSets } from './run-store/done-sets.ts';
export { ItemTooLargeError, MAX_ITEM_BYTES, RunStoreError } from './run-store/errors.ts';
export type { RunQuery, RunStoreListings } from './run-store/listings.ts';
export type { RunStoreLogs } from './run-store/logs.ts';
export {
  type Completion,
  type ItemListOptions,
  type ItemSeed,
  NODE_STATUSES,
  type NodeChange,
  type NodeCondition,
  type NodeListOptions,
  type NodeRecord,
  type NodeStatus,
  type Outcome,
  type RunStoreNodes,
  TERMINAL_NODE_STATUSES,
} from './run-store/nodes.ts';
export {
  ACTIVE_RUN_STATUSES,
  type ErrorInfo,
  RUN_STATUSES,
  type RunChange,
  type RunParent,
  type RunRecord,
  type RunStatus,
  type RunStoreRuns,
  TERMINAL_RUN_STATUSES,
} from './run-store/runs.ts';
export type { RunStoreSlots } from './run-store/slots.ts';
export type { RunStoreSweepLease, SweepPosition } from './run-store/sweep-lease.ts';

/**
 * The RunStore methods that write run and node state: what fault injection, the chaos observer
 * and the write-counting benchmarks wrap (slots and the sweep lease are not run state).
 */
export const RUN_STORE_WRITES = [
  'updateRun',
  'updateNode',
  'tryUpdateNode',
  'resetNode',
  'seedItem',
  'arrive',
  'addDone',
  'addDoneAll',
  'recordFailure',
] as const satisfies readonly (keyof RunStore)[];
