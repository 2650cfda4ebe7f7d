import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../ports/page.ts';
import {
  ACTIVE_RUN_STATUSES,
  type ErrorInfo,
  type RunChange,
  type RunCondition,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  RunStoreError,
} from '../../ports/run-store.ts';
import { positionIn, runCursor } from '../memory/run-store-listing.ts';
import { changedRun } from '../memory/run-store-runs.ts';
import type { SqliteChangeFeed } from './change-feed.ts';
import type { SqliteDatabase } from './database.ts';
import { assertSize } from './sqlite-nodes.ts';

type Change = RunChange & { readonly updatedAt: string };

/**
 * The SQLite run store's run items (table `runs`: the record as JSON, and the columns the
 * listings select on), inputs and idempotency keys. Each write is one transaction with its
 * outbox row; the listings read the `runs_by_tenant` and partial `runs_active` indexes.
 */
export class SqliteRuns {
  private readonly create: (run: RunRecord, inputs: unknown) => { run: RunRecord; created: boolean };
  private readonly update: (
    runId: string,
    ifStatus: readonly RunStatus[],
    change: Change,
    when: RunCondition | undefined,
  ) => RunRecord | undefined;
  private readonly modify: (runId: string, edit: (run: RunRecord) => RunRecord | undefined) => void;

  constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly feed: SqliteChangeFeed,
  ) {
    this.create = sqlite.transaction((run: RunRecord, inputs: unknown) => {
      const key = run.idempotencyKey && `${run.tenant}\u0000${run.idempotencyKey}`;
      if (key) {
        const row = sqlite.statement('SELECT run_id FROM idempotency WHERE key = ?').get(key) as
          | { run_id: string }
          | undefined;
        const found = row && this.read(row.run_id);
        if (found) return { run: found, created: false };
      }
      if (this.read(run.runId)) throw new RunStoreError(`cannot create run ${run.runId}: it already exists`);
      this.put(undefined, run);
      sqlite
        .statement('INSERT INTO run_inputs (run_id, expires_at, data) VALUES (?, ?, ?)')
        .run(run.runId, run.expiresAt, inputs === undefined ? null : JSON.stringify(inputs));
      if (key) {
        sqlite
          .statement('INSERT OR REPLACE INTO idempotency (key, run_id, expires_at) VALUES (?, ?, ?)')
          .run(key, run.runId, run.expiresAt);
      }
      return { run, created: true };
    });
    this.update = sqlite.transaction((runId, ifStatus, change, when) => {
      const current = this.read(runId);
      const next = changedRun(current, ifStatus, change, when);
      if (current && next) this.put(current, next);
      return next;
    });
    this.modify = sqlite.transaction((runId, edit) => {
      const current = this.read(runId);
      const next = current && edit(current);
      if (current && next) this.put(current, next);
    });
  }

  createRun(run: RunRecord, inputs: unknown): { run: RunRecord; created: boolean } {
    const copy = JSON.parse(JSON.stringify(run)) as RunRecord;
    return this.create(copy, inputs);
  }

  getRun(runId: string): RunRecord | undefined {
    return this.read(runId);
  }

  getInputs(runId: string): unknown {
    const row = this.sqlite.statement('SELECT data FROM run_inputs WHERE run_id = ?').get(runId) as
      | { data: string | null }
      | undefined;
    return row?.data == null ? undefined : JSON.parse(row.data);
  }

  updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: Change,
    when?: RunCondition,
  ): RunRecord | undefined {
    const next = this.update(runId, ifStatus, change, when);
    return next && (JSON.parse(JSON.stringify(next)) as RunRecord);
  }

  markProgress(runId: string, at: string, ifBefore: string): void {
    this.modify(runId, (run) =>
      run.progressAt !== undefined && run.progressAt >= ifBefore ? undefined : { ...run, progressAt: at },
    );
  }

  recordFailure(runId: string, error: ErrorInfo, updatedAt: string): void {
    this.modify(runId, (run) => ({ ...run, failed: true, error: run.error ?? error, updatedAt }));
  }

  listRuns(tenant: string, query: RunQuery = {}): Page<RunRecord> {
    const listing = `runs:${tenant}`;
    const limit = pageLimit(query);
    const after = query.cursor === undefined ? null : positionIn(query.cursor, listing);
    const rows = this.sqlite
      .statement(
        `SELECT data FROM runs WHERE tenant = @tenant AND (@workflow IS NULL OR workflow = @workflow)
         AND (@status IS NULL OR status = @status) AND (@after IS NULL OR run_id < @after)
         ORDER BY run_id DESC LIMIT @limit`,
      )
      .all({
        tenant,
        workflow: query.workflow ?? null,
        status: query.status ?? null,
        after,
        limit: limit + 1,
      }) as { data: string }[];
    return pageOf(rows, limit, listing);
  }

  listActiveRuns(page: PageRequest = {}): Page<RunRecord> {
    const limit = pageLimit(page);
    const after = page.cursor === undefined ? '' : positionIn(page.cursor, 'active');
    const rows = this.sqlite
      .statement('SELECT data FROM runs WHERE active = 1 AND run_id > ? ORDER BY run_id LIMIT ?')
      .all(after, limit + 1) as { data: string }[];
    return pageOf(rows, limit, 'active');
  }

  private read(runId: string): RunRecord | undefined {
    const row = this.sqlite.statement('SELECT data FROM runs WHERE run_id = ?').get(runId) as
      | { data: string }
      | undefined;
    return row && (JSON.parse(row.data) as RunRecord);
  }

  private put(before: RunRecord | undefined, run: RunRecord): void {
    const data = JSON.stringify(run);
    assertSize(data, `run ${run.runId}`);
    const active = ACTIVE_RUN_STATUSES.includes(run.status) || run.control !== undefined ? 1 : 0;
    this.sqlite
      .statement(
        `INSERT INTO runs (run_id, tenant, workflow, status, active, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, active = excluded.active,
         expires_at = excluded.expires_at, data = excluded.data`,
      )
      .run(run.runId, run.tenant, run.workflow, run.status, active, run.expiresAt, data);
    this.feed.run(before, run, data);
  }
}

function pageLimit(page: PageRequest): number {
  return Math.trunc(Math.min(Math.max(page.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE));
}

/** A page of listed runs (without outputs, as the DynamoDB indexes); a cursor when more follow. */
function pageOf(rows: readonly { data: string }[], limit: number, listing: string): Page<RunRecord> {
  const items = rows.slice(0, limit).map((row) => {
    const { outputs: _outputs, ...run } = JSON.parse(row.data) as RunRecord;
    return run;
  });
  const last = items.at(-1);
  if (rows.length <= limit || !last) return { items };
  return { items, cursor: runCursor(listing, last.runId) };
}
