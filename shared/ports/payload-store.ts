/**
 * The payload store port: immutable blobs (JSON text of large node outputs, run inputs and run
 * outputs) kept outside the run store, which holds only a small reference to each
 * (`adapters/offloading-run-store.ts`). On AWS an S3 bucket backs it (`adapters/aws/s3-payload-store.ts`),
 * locally files under the data folder (`adapters/file-payload-store.ts`; fauxqs's S3 emulation with
 * `npm start -- --memory`), in tests and `skein run` memory (`adapters/memory/payload-store.ts`).
 *
 * Keys are written once: the same key always carries the same bytes (callers name objects by
 * their content), so a repeated `put` is harmless and readers never see a half-written value.
 * Nothing is deleted by the application: objects expire with the run's retention (an S3 lifecycle
 * rule on AWS), so a crash between a `put` and the write that references it leaves at most an
 * orphan object, never a reference to nothing.
 */
export interface PayloadStore {
  /**
   * Stores `bytes` under `key` (any size), replacing nothing but an identical object. `expiresAt`
   * (epoch seconds: the TTL of the item that references it) is when nobody will read it any more:
   * the store may delete it after that (S3: the lifecycle rule of its expiry class), never before.
   */
  put(key: string, bytes: Uint8Array, expiresAt?: number): Promise<void>;
  /** The bytes stored under `key`, or undefined when there is no such object (expired, or never written). */
  get(key: string): Promise<Uint8Array | undefined>;
}
