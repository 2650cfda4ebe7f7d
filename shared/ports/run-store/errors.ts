/** Thrown by adapters for a broken invariant they cannot map to a result (never for a failed condition). */
export class RunStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RunStoreError';
  }
}

/** An item would exceed the store's size limit (DynamoDB's 400 KB); nothing was written. */
export class ItemTooLargeError extends RunStoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ItemTooLargeError';
  }
}

/** DynamoDB's item size limit, which the memory adapter enforces too. */
export const MAX_ITEM_BYTES = 400 * 1024;
