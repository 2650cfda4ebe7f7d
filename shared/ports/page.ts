/** One page of a listing; pass `cursor` back to get the next one. Cursors are opaque strings. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export interface PageRequest {
  /** At most this many items (1..100). */
  readonly limit?: number;
  readonly cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
