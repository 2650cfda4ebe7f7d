import Database from 'better-sqlite3';

/**
 * One SQLite database file for the embedded local store (see "Embedded store" in
 * shared/ARCHITECTURE.md): opened in WAL mode with `synchronous = NORMAL` (a commit is durable
 * across a process crash, and across a power cut up to the last checkpoint), a busy timeout so two
 * processes on one file wait for each other rather than fail, and the schema created if missing.
 * Statements are prepared once per database and cached by their text. Local composition only:
 * never imported by a Lambda bundle (better-sqlite3 is a native module).
 * @example const db = openSqlite('.skein/skein.db'); db.statement('SELECT 1').get()
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

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
   * `fn` as one write transaction (`BEGIN IMMEDIATE`: the write lock is taken before the first
   * read, so a read-check-write cannot interleave with another process's).
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const tx = this.db.transaction(fn);
    return (...args: A) => tx.immediate(...args);
  }

  close(): void {
    if (this.db.open) this.db.close();
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
CREATE TABLE IF NOT EXISTS sweep_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT,
  until_ms INTEGER NOT NULL,
  position TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_readers (
  reader TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
`;
