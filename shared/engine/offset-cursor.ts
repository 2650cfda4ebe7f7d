import { SkeinError } from '../domain/problems.ts';

/**
 * Cursors of pages over a list read in a stable order (a run's nodes, a map's items): the offset
 * of the next entry, named by `kind` so one kind's cursor is refused by another listing.
 * @example offsetOf('items', cursorAt('items', 100), 500) // 100
 */
export function cursorAt(kind: string, offset: number): string {
  return Buffer.from(`${kind}:${offset}`).toString('base64url');
}

/** The offset a cursor names; 400 INVALID_CURSOR unless it is one of `kind` within `total`. */
export function offsetOf(kind: string, cursor: string, total: number): number {
  const match = /^([a-z]+):(\d{1,7})$/.exec(Buffer.from(cursor, 'base64url').toString());
  const offset = match?.[1] === kind ? Number(match[2]) : Number.NaN;
  if (!(offset > 0 && offset < total)) {
    throw new SkeinError(
      'INVALID_CURSOR',
      `cursor is not a ${kind} cursor of this listing: pass the cursor as it came`,
      'invalid',
      '$.query.cursor',
    );
  }
  return offset;
}
