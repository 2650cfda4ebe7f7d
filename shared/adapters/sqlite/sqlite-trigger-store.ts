import type { Page, PageRequest } from '../../ports/page.ts';
import {
  FIRING_LOG_SIZE,
  type FiringRecord,
  type TriggerChange,
  type TriggerRecord,
  type TriggerStore,
} from '../../ports/trigger-store.ts';
import { pageOf } from '../memory/paging.ts';
import type { SqliteDatabase } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS triggers (
  tenant TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  cron INTEGER NOT NULL,
  event INTEGER NOT NULL DEFAULT 0,
  hook_id TEXT,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, trigger_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS triggers_by_hook ON triggers (hook_id) WHERE hook_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS trigger_firings (
  tenant TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, trigger_id, sort_key)
) WITHOUT ROWID;
`;

/**
 * Triggers and their firing logs in the embedded SQLite database, with the memory and DynamoDB
 * adapters' contract: one row per trigger (its hook id and whether it is an enabled cron trigger
 * as columns, for `getByHook` and `listCron`), one row per firing keyed `<at>#<key>`, the log
 * trimmed to {@link FIRING_LOG_SIZE} in the write that adds to it.
 * @example const triggers = new SqliteTriggerStore(openSqlite('.skein/skein.db'));
 */
export class SqliteTriggerStore implements TriggerStore {
  constructor(private readonly sqlite: SqliteDatabase) {
    sqlite.db.exec(SCHEMA);
  }

  put(record: TriggerRecord): Promise<void> {
    return this.sqlite.run(true, () => this.save(record));
  }

  get(tenant: string, triggerId: string): Promise<TriggerRecord | undefined> {
    return this.sqlite.run(false, () => this.read(tenant, triggerId));
  }

  getByHook(hookId: string): Promise<TriggerRecord | undefined> {
    return this.sqlite.run(false, () => {
      const row = this.sqlite.statement('SELECT data FROM triggers WHERE hook_id = ? LIMIT 1').get(hookId) as
        | { data: string }
        | undefined;
      return row && (JSON.parse(row.data) as TriggerRecord);
    });
  }

  list(tenant: string, page: PageRequest = {}): Promise<Page<TriggerRecord>> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT data FROM triggers WHERE tenant = ? ORDER BY trigger_id')
        .all(tenant) as { data: string }[];
      const own = rows.map((row) => JSON.parse(row.data) as TriggerRecord);
      return pageOf(own, page, (record) => `${record.tenant}#${record.triggerId}`);
    });
  }

  listCron(): Promise<TriggerRecord[]> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite.statement('SELECT data FROM triggers WHERE cron = 1').all() as {
        data: string;
      }[];
      return rows.map((row) => JSON.parse(row.data) as TriggerRecord);
    });
  }

  listEvent(): Promise<TriggerRecord[]> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite.statement('SELECT data FROM triggers WHERE event = 1').all() as {
        data: string;
      }[];
      return rows.map((row) => JSON.parse(row.data) as TriggerRecord);
    });
  }

  update(tenant: string, triggerId: string, change: TriggerChange): Promise<boolean> {
    return this.sqlite.run(
      true,
      this.sqlite.transaction(() => {
        const found = this.read(tenant, triggerId);
        if (!found) return false;
        this.save({ ...found, ...change });
        return true;
      }),
    );
  }

  delete(tenant: string, triggerId: string): Promise<boolean> {
    return this.sqlite.run(
      true,
      this.sqlite.transaction(() => {
        this.sqlite
          .statement('DELETE FROM trigger_firings WHERE tenant = ? AND trigger_id = ?')
          .run(tenant, triggerId);
        const { changes } = this.sqlite
          .statement('DELETE FROM triggers WHERE tenant = ? AND trigger_id = ?')
          .run(tenant, triggerId);
        return changes > 0;
      }),
    );
  }

  recordFiring(tenant: string, triggerId: string, firing: FiringRecord): Promise<void> {
    return this.sqlite.run(
      true,
      this.sqlite.transaction(() => {
        this.sqlite
          .statement(
            'INSERT OR REPLACE INTO trigger_firings (tenant, trigger_id, sort_key, data) VALUES (?, ?, ?, ?)',
          )
          .run(tenant, triggerId, `${firing.at}#${firing.key}`, JSON.stringify(firing));
        this.sqlite
          .statement(
            `DELETE FROM trigger_firings WHERE tenant = @tenant AND trigger_id = @triggerId AND sort_key NOT IN
             (SELECT sort_key FROM trigger_firings WHERE tenant = @tenant AND trigger_id = @triggerId
              ORDER BY sort_key DESC LIMIT @keep)`,
          )
          .run({ tenant, triggerId, keep: FIRING_LOG_SIZE });
      }),
    );
  }

  firings(tenant: string, triggerId: string, limit = FIRING_LOG_SIZE): Promise<FiringRecord[]> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement(
          'SELECT data FROM trigger_firings WHERE tenant = ? AND trigger_id = ? ORDER BY sort_key DESC LIMIT ?',
        )
        .all(tenant, triggerId, limit) as { data: string }[];
      return rows.map((row) => JSON.parse(row.data) as FiringRecord);
    });
  }

  private read(tenant: string, triggerId: string): TriggerRecord | undefined {
    const row = this.sqlite
      .statement('SELECT data FROM triggers WHERE tenant = ? AND trigger_id = ?')
      .get(tenant, triggerId) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as TriggerRecord);
  }

  private save(record: TriggerRecord): void {
    this.sqlite
      .statement(
        'INSERT OR REPLACE INTO triggers (tenant, trigger_id, cron, event, hook_id, data) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        record.tenant,
        record.triggerId,
        record.type === 'cron' && record.enabled ? 1 : 0,
        record.type === 'event' && record.enabled ? 1 : 0,
        record.webhook?.hookId ?? null,
        JSON.stringify(record),
      );
  }
}
