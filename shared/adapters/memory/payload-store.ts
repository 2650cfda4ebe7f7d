import type { PayloadStore } from '../../ports/payload-store.ts';

/**
 * Payloads in a Map, for tests and `skein run`: bytes are copied in and out, so no caller shares a
 * buffer with the store. `puts` and `gets` count calls, for tests that check what a read costs.
 * @example const payloads = new MemoryPayloadStore(); await payloads.put('t/r/inputs/ab.json', bytes);
 */
export class MemoryPayloadStore implements PayloadStore {
  private readonly objects = new Map<string, Uint8Array>();
  puts = 0;
  gets = 0;

  async put(key: string, bytes: Uint8Array, _expiresAt?: number): Promise<void> {
    this.puts += 1;
    this.objects.set(key, new Uint8Array(bytes));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.gets += 1;
    const bytes = this.objects.get(key);
    return bytes && new Uint8Array(bytes);
  }

  /** The keys stored, in insertion order (tests). */
  keys(): string[] {
    return [...this.objects.keys()];
  }
}
