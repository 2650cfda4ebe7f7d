import { SkeinError } from '../../domain/problems.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';

/** Pages an ordered list; the cursor is the key of the last item returned. */
export function pageOf<T>(items: T[], page: PageRequest, keyOf: (item: T) => string): Page<T> {
  const limit = Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  const after = page.cursor ? Buffer.from(page.cursor, 'base64url').toString('utf8') : undefined;
  const index = after === undefined ? -1 : items.findIndex((item) => keyOf(item) === after);
  if (after !== undefined && index < 0) {
    // Same answer as the DynamoDB adapter: a cursor that is not one this listing handed out.
    throw new SkeinError(
      'INVALID_CURSOR',
      'the cursor is not valid for this listing; start again without it',
      'invalid',
    );
  }
  const start = index + 1;
  const slice = items.slice(start, start + limit);
  const last = slice.at(-1);
  const more = start + limit < items.length;
  return more && last
    ? { items: slice, cursor: Buffer.from(keyOf(last), 'utf8').toString('base64url') }
    : { items: slice };
}
