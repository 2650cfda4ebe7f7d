import type { PayloadStore } from '../ports/payload-store.ts';

export interface CachingPayloadStoreOptions {
  readonly payloads: PayloadStore;
  /** Bytes kept at most; the least recently used objects go first. @default 16 MiB */
  readonly maxBytes?: number;
}

/**
 * Keeps recently put and read payloads in this process. Objects are immutable (named by their
 * content's hash, see `OffloadingRunStore`), so a cached copy is never stale: the children of a
 * node with a large output, run by the same worker, read it once from S3 (or not at all when this
 * worker wrote it), and a run view read twice fetches it once. Bytes are copied in and out.
 * @example new CachingPayloadStore({ payloads: new S3PayloadStore({ client, bucket }) })
 */
export class CachingPayloadStore implements PayloadStore {
  private readonly inner: PayloadStore;
  private readonly maxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(options: CachingPayloadStoreOptions) {
    this.inner = options.payloads;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  async put(key: string, bytes: Uint8Array, expiresAt?: number): Promise<void> {
    await this.inner.put(key, bytes, expiresAt);
    this.keep(key, bytes);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return new Uint8Array(cached);
    }
    const bytes = await this.inner.get(key);
    if (bytes) this.keep(key, bytes);
    return bytes;
  }

  private keep(key: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.maxBytes / 4) return; // one object may not push out everything else
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.byteLength;
    }
    this.entries.set(key, new Uint8Array(bytes));
    this.bytes += bytes.byteLength;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.byteLength;
    }
  }
}
