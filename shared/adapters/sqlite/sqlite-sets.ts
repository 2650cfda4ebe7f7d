import type { SweepPosition } from '../../ports/run-store.ts';
import type { SqliteDatabase } from './database.ts';

/**
 * The SQLite run store's sets: done-sets (one row per member, the size a count over the
 * primary key's range), concurrency slots, waiting lines and the sweeper's lease, each write one
 * transaction. None of these items makes a change-feed row (the monitor's filter drops them).
 */
export class SqliteSets {
  readonly addDone: (
    runId: string,
    setKey: string,
    member: number,
    expiresAt: number,
  ) => {
    applied: boolean;
    size: number;
  };
  readonly addDoneAll: (
    runId: string,
    setKey: string,
    members: readonly number[],
    expiresAt: number,
  ) => number;
  readonly acquireSlot: (tenant: string, workflow: string, runId: string, max: number) => boolean;
  readonly takeSweepLease: (holder: string, nowMs: number, untilMs: number) => SweepPosition | undefined;
  readonly saveSweepLease: (holder: string, position: SweepPosition, release: boolean) => boolean;

  constructor(private readonly sqlite: SqliteDatabase) {
    const insertDone =
      'INSERT OR IGNORE INTO done_sets (run_id, set_key, member, expires_at) VALUES (?, ?, ?, ?)';
    this.addDone = sqlite.transaction((runId, setKey, member, expiresAt) => {
      const { changes } = sqlite.statement(insertDone).run(runId, setKey, member, expiresAt);
      return { applied: changes > 0, size: this.doneSize(runId, setKey) };
    });
    this.addDoneAll = sqlite.transaction((runId, setKey, members, expiresAt) => {
      if (members.length === 0) throw new RangeError('addDoneAll needs at least one member');
      for (const member of members) sqlite.statement(insertDone).run(runId, setKey, member, expiresAt);
      return this.doneSize(runId, setKey);
    });
    this.acquireSlot = sqlite.transaction((tenant, workflow, runId, max) => {
      const holders = this.slotHolders(tenant, workflow);
      if (holders.includes(runId)) return true;
      if (holders.length >= max) return false;
      sqlite
        .statement('INSERT INTO run_slots (tenant, workflow, run_id) VALUES (?, ?, ?)')
        .run(tenant, workflow, runId);
      return true;
    });
    this.takeSweepLease = sqlite.transaction((holder, nowMs, untilMs) => {
      const lease = this.lease();
      if (lease.holder !== null && lease.until_ms > nowMs) return undefined;
      sqlite
        .statement(
          `INSERT INTO sweep_lease (id, holder, until_ms, position) VALUES (1, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms`,
        )
        .run(holder, untilMs, lease.position);
      return JSON.parse(lease.position) as SweepPosition;
    });
    this.saveSweepLease = sqlite.transaction((holder, position, release) => {
      if (this.lease().holder !== holder) return false;
      const { cursor, round } = position;
      const saved = JSON.stringify({ round, ...(cursor === undefined ? {} : { cursor }) });
      const statement = release
        ? 'UPDATE sweep_lease SET holder = NULL, until_ms = 0, position = ? WHERE id = 1'
        : 'UPDATE sweep_lease SET position = ? WHERE id = 1';
      sqlite.statement(statement).run(saved);
      return true;
    });
  }

  releaseSlot(tenant: string, workflow: string, runId: string): void {
    this.sqlite
      .statement('DELETE FROM run_slots WHERE tenant = ? AND workflow = ? AND run_id = ?')
      .run(tenant, workflow, runId);
  }

  slotHolders(tenant: string, workflow: string): string[] {
    const rows = this.sqlite
      .statement('SELECT run_id FROM run_slots WHERE tenant = ? AND workflow = ?')
      .all(tenant, workflow) as { run_id: string }[];
    return rows.map((row) => row.run_id);
  }

  addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): void {
    this.sqlite
      .statement(
        'INSERT OR IGNORE INTO run_waiting (tenant, workflow, run_id, expires_at) VALUES (?, ?, ?, ?)',
      )
      .run(tenant, workflow, runId, expiresAt);
  }

  removeWaiting(tenant: string, workflow: string, runId: string): void {
    this.sqlite
      .statement('DELETE FROM run_waiting WHERE tenant = ? AND workflow = ? AND run_id = ?')
      .run(tenant, workflow, runId);
  }

  listWaiting(tenant: string, workflow: string, limit: number): string[] {
    const rows = this.sqlite
      .statement('SELECT run_id FROM run_waiting WHERE tenant = ? AND workflow = ? ORDER BY run_id LIMIT ?')
      .all(tenant, workflow, limit) as { run_id: string }[];
    return rows.map((row) => row.run_id);
  }

  private doneSize(runId: string, setKey: string): number {
    const row = this.sqlite
      .statement('SELECT count(*) AS size FROM done_sets WHERE run_id = ? AND set_key = ?')
      .get(runId, setKey) as { size: number };
    return row.size;
  }

  private lease(): { holder: string | null; until_ms: number; position: string } {
    const row = this.sqlite
      .statement('SELECT holder, until_ms, position FROM sweep_lease WHERE id = 1')
      .get() as { holder: string | null; until_ms: number; position: string } | undefined;
    return row ?? { holder: null, until_ms: 0, position: JSON.stringify({ round: 0 }) };
  }
}
