import { describe, expect, it } from 'vitest';
import { CachingPayloadStore } from '../../shared/adapters/caching-payload-store.ts';
import { MemoryPayloadStore } from '../../shared/adapters/memory/payload-store.ts';
import { describePayloadStoreContract } from '../contract/payload-store.contract.ts';

const KB = 1024;
const bytes = (kb: number, fill = 1) => new Uint8Array(kb * KB).fill(fill);

describePayloadStoreContract(
  'cached memory',
  async () => new CachingPayloadStore({ payloads: new MemoryPayloadStore(), maxBytes: 64 * 1024 * 1024 }),
);

describe('CachingPayloadStore', () => {
  it('reads what this process put or read without asking the store again', async () => {
    // Prepare
    const inner = new MemoryPayloadStore();
    await inner.put('b', bytes(10, 2));
    const cache = new CachingPayloadStore({ payloads: inner, maxBytes: 100 * KB });

    // Act
    await cache.put('a', bytes(10));
    const reads = [await cache.get('a'), await cache.get('b'), await cache.get('b'), await cache.get('a')];

    // Assess
    expect(reads.map((read) => read?.[0])).toEqual([1, 2, 2, 1]);
    expect(inner.gets).toBe(1);
  });

  it('drops the least recently used objects past its size, and never caches one over a quarter of it', async () => {
    // Prepare
    const inner = new MemoryPayloadStore();
    const cache = new CachingPayloadStore({ payloads: inner, maxBytes: 100 * KB });
    for (const key of ['a', 'b', 'c', 'd']) await cache.put(key, bytes(25));
    await cache.get('a'); // a is now the most recent

    // Act
    await cache.put('e', bytes(25)); // pushes out b
    await cache.put('huge', bytes(30)); // not cached
    const before = inner.gets;
    for (const key of ['a', 'c', 'd', 'e']) await cache.get(key);
    const cachedReads = inner.gets - before;
    await cache.get('b');
    await cache.get('huge');

    // Assess
    expect(cachedReads).toBe(0);
    expect(inner.gets - before).toBe(2);
  });
});
