import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { ChangeFeedLevel } from '../../shared/adapters/sqlite/change-feed.ts';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';

/**
 * Fresh SQLite run stores for a test file: each call opens a new database file in the file's
 * temporary directory; the stores a test opened are closed after it, the directory after the file.
 * @example const freshStore = sqliteStores('engine'); const runs = freshStore();
 */
export function sqliteStores(name: string, changeFeed: ChangeFeedLevel = 'all'): () => SqliteRunStore {
  const dir = mkdtempSync(join(tmpdir(), `skein-sqlite-${name}-`));
  const open: SqliteRunStore[] = [];
  let count = 0;
  afterEach(() => {
    for (const store of open.splice(0)) store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => {
    const store = new SqliteRunStore({ database: join(dir, `${++count}.db`), changeFeed });
    open.push(store);
    return store;
  };
}
