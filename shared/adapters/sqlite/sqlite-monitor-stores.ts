import { type EventLog, eventKeyOf, MAX_LISTED_EVENTS } from '../../ports/event-log.ts';
import type { SkeinEvent } from '../../ports/notifier.ts';
import {
  COUNTED_STATUSES,
  incrementsOf,
  NO_RUNS,
  type RunCounters,
  type WorkflowRunCounts,
} from '../../ports/run-counters.ts';
import type { SqliteDatabase } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS run_events (
  run_id TEXT NOT NULL,
  event_key TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, event_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_events_expiry ON run_events (expires_at);
CREATE TABLE IF NOT EXISTS run_counts (
  tenant TEXT NOT NULL,
  workflow TEXT NOT NULL,
  started INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  timed_out INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, workflow)
) WITHOUT ROWID;
`;

/**
 * Each run's published events in the embedded SQLite database, keyed by the run and
 * `eventKeyOf` (an event appended again replaces itself), kept `retentionDays` after the event
 * (`expire` deletes the older ones), as the DynamoDB adapter keeps them.
 * @example const log = new SqliteEventLog(openSqlite('.skein/skein.db'));
 */
export class SqliteEventLog implements EventLog {
  constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly retentionDays = 30,
  ) {
    sqlite.db.exec(SCHEMA);
  }

  append(events: readonly SkeinEvent[]): Promise<void> {
    return this.sqlite.run(true, () => {
      const insert = this.sqlite.statement(
        'INSERT OR REPLACE INTO run_events (run_id, event_key, expires_at, data) VALUES (?, ?, ?, ?)',
      );
      for (const event of events) {
        const expiresAt = Math.floor(Date.parse(event.time) / 1000 || 0) + this.retentionDays * 86_400;
        insert.run(event.runId, eventKeyOf(event), expiresAt, JSON.stringify(event));
      }
    });
  }

  list(runId: string, limit = MAX_LISTED_EVENTS): Promise<SkeinEvent[]> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT data FROM run_events WHERE run_id = ? ORDER BY event_key LIMIT ?')
        .all(runId, limit) as { data: string }[];
      return rows.map((row) => JSON.parse(row.data) as SkeinEvent);
    });
  }

  /** TTL: deletes the events whose retention ended before `nowMs`; returns how many. */
  expire(nowMs: number): Promise<number> {
    return this.sqlite.run(
      true,
      () =>
        this.sqlite.statement('DELETE FROM run_events WHERE expires_at < ?').run(Math.floor(nowMs / 1000))
          .changes,
    );
  }
}

/**
 * Per-workflow run counts in the embedded SQLite database: one row per tenant and workflow, each
 * batch's increments added in one write.
 * @example const counters = new SqliteRunCounters(openSqlite('.skein/skein.db'));
 */
export class SqliteRunCounters implements RunCounters {
  constructor(private readonly sqlite: SqliteDatabase) {
    sqlite.db.exec(SCHEMA);
  }

  count(events: readonly SkeinEvent[]): Promise<void> {
    return this.sqlite.run(true, () => {
      const add = this.sqlite.statement(
        `INSERT INTO run_counts (tenant, workflow, started, succeeded, failed, cancelled, timed_out)
         VALUES (@tenant, @workflow, @started, @succeeded, @failed, @cancelled, @timed_out)
         ON CONFLICT (tenant, workflow) DO UPDATE SET started = started + excluded.started,
         succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
         cancelled = cancelled + excluded.cancelled, timed_out = timed_out + excluded.timed_out`,
      );
      for (const [key, increments] of incrementsOf(events)) {
        const [tenant, workflow] = JSON.parse(key) as [string, string];
        add.run({ ...NO_RUNS, ...increments, tenant, workflow });
      }
    });
  }

  get(tenant: string, workflow: string): Promise<WorkflowRunCounts> {
    return this.sqlite.run(false, () => {
      const row = this.sqlite
        .statement('SELECT * FROM run_counts WHERE tenant = ? AND workflow = ?')
        .get(tenant, workflow) as Record<string, number> | undefined;
      const counts: Record<string, number> = { started: row?.started ?? 0 };
      for (const status of COUNTED_STATUSES) counts[status] = row?.[status] ?? 0;
      return counts as unknown as WorkflowRunCounts;
    });
  }
}
