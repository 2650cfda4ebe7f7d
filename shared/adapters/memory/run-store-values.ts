import { ItemTooLargeError, MAX_ITEM_BYTES } from '../../ports/run-store.ts';

/** How the memory run store's parts hold and hand out values. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** DynamoDB refuses items over 400 KB; so does this store, measuring the item as JSON. */
export function assertItemSize(item: object, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(item), 'utf8');
  if (bytes > MAX_ITEM_BYTES) {
    throw new ItemTooLargeError(
      `${what} would be ${bytes} bytes, over the ${MAX_ITEM_BYTES}-byte item limit`,
    );
  }
}

/** Values are copied in and out, so no caller shares an object with the store. */
export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
