import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';

/** Identifiers and secrets come through this port so tests can make them predictable. */
export interface Ids {
  /** A sortable unique id (ULID). */
  newId(): string;
  /** A URL-safe random secret of `bytes` bytes of entropy. */
  secret(bytes?: number): string;
}

export const randomIds: Ids = {
  newId: () => ulid(),
  secret: (bytes = 24) => randomBytes(bytes).toString('base64url'),
};

/** Deterministic ids for tests: `id-0001`, `id-0002`, ... */
export function sequentialIds(prefix = 'id'): Ids {
  let n = 0;
  return {
    newId: () => `${prefix}-${String(++n).padStart(4, '0')}`,
    secret: () => `${prefix}-secret-${String(++n).padStart(4, '0')}`,
  };
}
