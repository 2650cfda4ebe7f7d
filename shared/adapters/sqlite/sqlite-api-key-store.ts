import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from '../../ports/api-key-store.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import { pageOf } from '../memory/paging.ts';
import type { SqliteDatabase } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  key_hash TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  label TEXT,
  last_used_at TEXT
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant, key_id);
`;

interface Row {
  key_hash: string;
  tenant: string;
  key_id: string;
  created_at: string;
  label: string | null;
  last_used_at: string | null;
}

/**
 * API keys in the embedded SQLite database (one row per key: by hash, the primary key, and by
 * tenant and id, a unique index, so both views change in the same write), with the memory and
 * DynamoDB adapters' contract.
 * @example const keys = new SqliteApiKeyStore(openSqlite('.skein/skein.db'));
 */
export class SqliteApiKeyStore implements ApiKeyStore {
  constructor(private readonly sqlite: SqliteDatabase) {
    sqlite.db.exec(SCHEMA);
  }

  put(record: ApiKeyRecord): Promise<void> {
    return this.sqlite.run(true, () => {
      const { changes } = this.sqlite
        .statement(
          `INSERT INTO api_keys (key_hash, tenant, key_id, created_at, label) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
        )
        .run(record.keyHash, record.tenant, record.keyId, record.createdAt, record.label ?? null);
      if (changes === 0)
        throw new Error(`an API key with id ${record.keyId} or the same hash exists already`);
    });
  }

  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.sqlite.run(false, () => {
      const row = this.sqlite.statement('SELECT * FROM api_keys WHERE key_hash = ?').get(keyHash) as
        | Row
        | undefined;
      return (
        row && {
          keyId: row.key_id,
          keyHash: row.key_hash,
          tenant: row.tenant,
          createdAt: row.created_at,
          ...(row.label !== null && { label: row.label }),
        }
      );
    });
  }

  list(tenant: string, page: PageRequest = {}): Promise<Page<ApiKeySummary>> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT * FROM api_keys WHERE tenant = ? ORDER BY key_id')
        .all(tenant) as Row[];
      const keys: ApiKeySummary[] = rows.map((row) => ({
        keyId: row.key_id,
        tenant: row.tenant,
        createdAt: row.created_at,
        ...(row.label !== null && { label: row.label }),
        ...(row.last_used_at !== null && { lastUsedAt: row.last_used_at }),
      }));
      // The tenant is part of the cursor, so a cursor of another listing is refused as DynamoDB does.
      return pageOf(keys, page, (key) => `${key.tenant}#${key.keyId}`);
    });
  }

  revoke(tenant: string, keyId: string): Promise<boolean> {
    return this.sqlite.run(
      true,
      () =>
        this.sqlite.statement('DELETE FROM api_keys WHERE tenant = ? AND key_id = ?').run(tenant, keyId)
          .changes > 0,
    );
  }

  recordUse(tenant: string, keyId: string, usedAt: string, staleBefore: string): Promise<void> {
    return this.sqlite.run(true, () => {
      this.sqlite
        .statement(
          `UPDATE api_keys SET last_used_at = ? WHERE tenant = ? AND key_id = ?
           AND (last_used_at IS NULL OR last_used_at <= ?)`,
        )
        .run(usedAt, tenant, keyId, staleBefore);
    });
  }
}
