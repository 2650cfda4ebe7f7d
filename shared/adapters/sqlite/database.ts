import Database from 'better-sqlite3';

/** Waiters of a write batch: each told once the batch is committed (no argument) or lost. */
interface Batch {
  readonly waiters: ((error?: unknown) => void)[];
}

/**
 * One SQLite database file for the embedded local store (see "Embedded store" in
 * shared/ARCHITECTURE.md): opened in WAL mode with `synchronous = NORMAL` (a commit survives a
 * process crash; a power cut may lose the last commits, never corrupt the file), a busy timeout
 * so two processes on one file wait for each other rather than fail, and the schema created if
 * missing. Statements are prepared once per database and cached by their text.
 *
 * Group commit (`run`): the writes of one turn of the event loop share one transaction, committed
 * at the next `setImmediate`; each write still applies atomically (a savepoint of its own, its
 * condition checked against every write before it), and its promise resolves only once the batch
 * is committed, so no caller ever acts on a write a crash could take back. A read resolves after
 * the open batch commits too (it may have read that batch's writes).
 * Local composition only: never imported by a Lambda bundle (better-sqlite3 is a native module).
 * @example const db = openSqlite('.skein/skein.db'); await db.run(true, () => db.statement('DELETE FROM outbox').run())
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private batch: Batch | undefined;

  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** The prepared statement of `sql`, prepared on first use. */
  statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /**
   * `fn` as one atomic step: a transaction (`BEGIN IMMEDIATE`: the write lock is taken before the
   * first read, so a read-check-write cannot interleave with another process's), or a savepoint
   * when called inside one (a batch of `run`).
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const tx = this.db.transaction(fn);
    return (...args: A) => tx.immediate(...args);
  }

  /**
   * Runs `fn` now, in the open write batch (`write`: opening one when there is none), and resolves
   * with its result once that batch is committed; rejects, the batch's writes gone, when the commit
   * fails. A read with no batch open resolves at once. `settle: 'now'` resolves at once even in a
   * batch: only for a step whose loss in a crash is harmless (a queue message's delete: it is
   * delivered again, as SQS may), so the next step shares its commit.
   */
  run<R>(write: boolean, fn: () => R, settle: 'committed' | 'now' = 'committed'): Promise<R> {
    try {
      if (write && !this.batch) this.open();
    } catch (error) {
      // Another process held the write lock past the busy timeout.
      return Promise.reject(error);
    }
    let result: R;
    try {
      result = fn();
    } catch (error) {
      // An error that ended the whole transaction (not just the step's savepoint) loses the batch.
      if (this.batch && !this.db.inTransaction)
        this.settle(this.batch, new Error('the write batch was rolled back'));
      return Promise.reject(error);
    }
    const batch = this.batch;
    if (!batch || settle === 'now') return Promise.resolve(result);
    return new Promise((resolve, reject) => {
      batch.waiters.push((error) => (error === undefined ? resolve(result) : reject(error)));
    });
  }

  /** Resolves once the open write batch, if any, is committed (or lost). */
  settled(): Promise<void> {
    const batch = this.batch;
    if (!batch) return Promise.resolve();
    return new Promise((resolve) => batch.waiters.push(() => resolve()));
  }

  /** Commits the open batch and closes the file. */
  close(): void {
    if (this.batch) this.commit(this.batch);
    if (this.db.open) this.db.close();
  }

  private open() {
    this.db.exec('BEGIN IMMEDIATE');
    const batch: Batch = { waiters: [] };
    this.batch = batch;
    setImmediate(() => this.commit(batch));
  }

  private commit(batch: Batch) {
    if (this.batch !== batch) return;
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.settle(batch, error);
      return;
    }
    this.settle(batch, undefined);
  }

  private settle(batch: Batch, error: unknown) {
    if (this.batch === batch) this.batch = undefined;
    for (const waiter of batch.waiters) waiter(error);
  }
}

/** @example const db = openSqlite(':memory:') */
export function openSqlite(path: string): SqliteDatabase {
  return new SqliteDatabase(path);
}

/**
 * One table per item family, keyed as the reads need them (WITHOUT ROWID: the primary key is the
 * clustered index, so a node read is one b-tree lookup). Records are JSON text in `data`; the
 * columns beside it are what conditions, listings and the TTL sweep select on.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  workflow TEXT NOT NULL,
  status TEXT NOT NULL,
  active INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_tenant ON runs (tenant, run_id);
CREATE INDEX IF NOT EXISTS runs_active ON runs (run_id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS runs_expiry ON runs (expires_at);
CREATE TABLE IF NOT EXISTS run_inputs (
  run_id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  data TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes (
  run_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  map_id TEXT,
  item_index INTEGER,
  expires_at INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_items ON nodes (run_id, map_id, item_index) WHERE map_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS nodes_expiry ON nodes (expires_at);
CREATE TABLE IF NOT EXISTS done_sets (
  run_id TEXT NOT NULL,
  set_key TEXT NOT NULL,
  member INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, set_key, member)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS done_sets_expiry ON done_sets (expires_at);
CREATE TABLE IF NOT EXISTS run_slots (
  tenant TEXT NOT NULL,
  workflow TEXT NOT NULL,
  run_id TEXT NOT NULL,
  PRIMARY KEY (tenant, workflow, run_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_waiting (
  tenant TEXT NOT NULL,
  workflow TEXT NOT NULL,
  run_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, workflow, run_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_logs (
  run_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  data TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, node_id, attempt)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sweep_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT,
  until_ms INTEGER NOT NULL,
  position TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  old TEXT,
  new TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_readers (
  reader TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
`;
