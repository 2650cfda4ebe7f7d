import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { describeRunStoreContract } from './run-store.contract.ts';
import { describeRunStoreConditionContract } from './run-store-conditions.contract.ts';
import { describeRunStoreSweepContract } from './run-store-sweep.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-contract-'));
const opened: SqliteRunStore[] = [];
afterAll(() => {
  for (const store of opened) store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One database file per suite, shared by its tests (as the DynamoDB suites share a table). */
function suiteStore(name: string): () => Promise<SqliteRunStore> {
  let store: SqliteRunStore | undefined;
  return async () => {
    if (!store) {
      store = new SqliteRunStore({ database: join(dir, `${name}.db`), changeFeed: 'all' });
      opened.push(store);
    }
    return store;
  };
}

describeRunStoreContract('SQLite', suiteStore('runs'));
describeRunStoreConditionContract('SQLite', suiteStore('conditions'));
describeRunStoreSweepContract('SQLite', suiteStore('sweep'));
