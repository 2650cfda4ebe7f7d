import { SkeinError } from '../../domain/problems.ts';

type Key = { pk: string; sk: string };

/** DynamoDB's limit on a sort key: a forged cursor with a longer one is refused as malformed. */
const MAX_SORT_KEY_BYTES = 1_024;

/**
 * The cursor of a page of one partition's listing: the last item's key, as base64url JSON.
 * @example decodeKeyCursor(encodeKeyCursor({ pk: 'T#a', sk: 'KEY#1' }), { pk: 'T#a', prefix: 'KEY#' })
 */
export function encodeKeyCursor(key: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');
}

/**
 * The `ExclusiveStartKey` a cursor names; 400 INVALID_CURSOR unless it is a key of `listing`'s
 * partition whose sort key starts with its prefix (and is one DynamoDB would accept: a longer one
 * would be DynamoDB's refusal, a 500).
 */
export function decodeKeyCursor(
  cursor: string,
  listing: { readonly pk: string; readonly prefix: string },
): Key {
  let key: Partial<Key> | undefined;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Key>;
  } catch {
    key = undefined;
  }
  if (
    key?.pk !== listing.pk ||
    typeof key.sk !== 'string' ||
    !key.sk.startsWith(listing.prefix) ||
    Buffer.byteLength(key.sk, 'utf8') > MAX_SORT_KEY_BYTES
  ) {
    throw new SkeinError(
      'INVALID_CURSOR',
      'the cursor is malformed or belongs to another listing; pass back the cursor of the previous page unchanged, or omit it to start from the first page',
      'invalid',
    );
  }
  return { pk: key.pk, sk: key.sk };
}
