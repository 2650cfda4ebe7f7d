// What the side-by-side benchmark (bench/peers.bench.ts) asks of each contestant.
import type { Shape } from '../shapes.ts';

/** One orchestrator under test: Skein on a store, or a peer job queue on its server. */
export interface Contestant {
  /** The column name, e.g. `BullMQ + Redis`. */
  readonly name: string;
  /** Gets ready to run `shape` (fresh database, published definition); not timed. */
  prepare(shape: Shape): Promise<void>;
  /** Runs `shape` once from start to end and resolves with the time it took, in ms. */
  run(shape: Shape): Promise<number>;
  /** Releases what `prepare` opened for the shape. */
  finish(): Promise<void>;
  /** Releases everything (idempotent). */
  close(): Promise<void>;
}
