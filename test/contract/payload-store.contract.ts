import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PayloadStore } from '../../shared/ports/payload-store.ts';

const MB = 1024 * 1024;
let keys = 0;
const newKey = (name = 'output') => `tenant-${process.pid}/run-${Date.now()}-${++keys}/nodes/n/${name}.json`;

/** The PayloadStore contract, run against every adapter. */
export function describePayloadStoreContract(name: string, makeStore: () => Promise<PayloadStore>) {
  describe(`PayloadStore contract: ${name}`, () => {
    it('gives back the bytes put under a key, byte for byte', async () => {
      // Prepare
      const store = await makeStore();
      const key = newKey();
      const bytes = Buffer.from(JSON.stringify({ text: 'héllo ✓', n: [1, 2, 3] }), 'utf8');

      // Act
      await store.put(key, bytes);
      const read = await store.get(key);

      // Assess
      expect(read).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(read ?? []).equals(bytes)).toBe(true);
    });

    it('reads a key that was never written as undefined', async () => {
      // Prepare
      const store = await makeStore();

      // Act
      const read = await store.get(newKey('never'));

      // Assess
      expect(read).toBeUndefined();
    });

    it('stores a payload of several megabytes (a map node collecting 10,000 outputs)', async () => {
      // Prepare
      const store = await makeStore();
      const key = newKey('map');
      const bytes = randomBytes(5 * MB);

      // Act
      await store.put(key, bytes);
      const read = await store.get(key);

      // Assess
      expect(read?.byteLength).toBe(5 * MB);
      expect(Buffer.from(read ?? []).equals(bytes)).toBe(true);
    });

    it('keeps keys apart, and a repeated put of the same bytes changes nothing', async () => {
      // Prepare
      const store = await makeStore();
      const [a, b] = [newKey('a'), newKey('b')];

      // Act
      await store.put(a, Buffer.from('"a"'));
      await store.put(b, Buffer.from('"b"'));
      await store.put(a, Buffer.from('"a"'));

      // Assess
      expect(Buffer.from((await store.get(a)) ?? []).toString()).toBe('"a"');
      expect(Buffer.from((await store.get(b)) ?? []).toString()).toBe('"b"');
    });

    it('hands out copies: changing a buffer after put or after get changes nothing stored', async () => {
      // Prepare
      const store = await makeStore();
      const key = newKey('copy');
      const bytes = Buffer.from('"abc"');
      await store.put(key, bytes);

      // Act
      bytes[1] = 0x7a;
      const first = await store.get(key);
      if (first) first[1] = 0x79;
      const second = await store.get(key);

      // Assess
      expect(Buffer.from(second ?? []).toString()).toBe('"abc"');
    });
  });
}
