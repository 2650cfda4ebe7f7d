import { SkeinError } from '../../domain/problems.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import { ACTIVE_RUN_STATUSES, type RunQuery, type RunRecord } from '../../ports/run-store.ts';
import { clone } from './run-store-values.ts';

/** The memory run store's `listRuns`: a tenant's runs, newest first, without outputs. */
export function listRuns(runs: Iterable<RunRecord>, tenant: string, query: RunQuery = {}): Page<RunRecord> {
  const all = [...runs]
    .filter(
      (run) =>
        run.tenant === tenant &&
        (query.workflow === undefined || run.workflow === query.workflow) &&
        (query.status === undefined || run.status === query.status),
    )
    .sort((a, b) => (a.runId < b.runId ? 1 : -1));
  return withoutOutputs(pageAfter(all, query, `runs:${tenant}`, 'newest'));
}

/** The memory run store's `listActiveRuns`: oldest first, without outputs. */
export function listActiveRuns(runs: Iterable<RunRecord>, page: PageRequest = {}): Page<RunRecord> {
  const all = [...runs]
    .filter((run) => ACTIVE_RUN_STATUSES.includes(run.status) || run.control !== undefined)
    .sort((a, b) => (a.runId < b.runId ? -1 : 1));
  return withoutOutputs(pageAfter(all, page, 'active', 'oldest'));
}

/** Listings leave `outputs` out, as the DynamoDB indexes do (they do not project them). */
function withoutOutputs(page: Page<RunRecord>): Page<RunRecord> {
  return { ...page, items: page.items.map(({ outputs: _outputs, ...run }) => run) };
}

/**
 * Pages runs sorted by runId. The cursor holds the listing and the last runId returned, and the
 * next page starts after that position, so a run that left the listing since (ended, changed
 * status) does not invalidate the cursor, as with DynamoDB's ExclusiveStartKey.
 */
function pageAfter(
  runs: readonly RunRecord[],
  page: PageRequest,
  listing: string,
  order: 'newest' | 'oldest',
): Page<RunRecord> {
  const limit = Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
  const after = page.cursor === undefined ? undefined : positionIn(page.cursor, listing);
  const rest =
    after === undefined
      ? runs
      : runs.filter((run) => (order === 'newest' ? run.runId < after : run.runId > after));
  const items = rest.slice(0, limit).map(clone);
  const last = items.at(-1);
  if (rest.length <= limit || !last) return { items };
  return { items, cursor: runCursor(listing, last.runId) };
}

/** A cursor of run listing `listing` continuing after `runId` (memory and SQLite adapters). */
export const runCursor = (listing: string, runId: string): string =>
  Buffer.from(JSON.stringify({ listing, after: runId }), 'utf8').toString('base64url');

/** The run id a cursor of `listing` continues after; 400 `INVALID_CURSOR` for any other. */
export function positionIn(cursor: string, listing: string): string {
  let parsed: { listing?: unknown; after?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (parsed?.listing !== listing || typeof parsed.after !== 'string') {
    throw new SkeinError(
      'INVALID_CURSOR',
      'the cursor is not valid for this listing; start again without it',
      'invalid',
    );
  }
  return parsed.after;
}
