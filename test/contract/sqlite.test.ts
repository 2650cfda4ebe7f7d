import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePayloadStore } from '../../shared/adapters/file-payload-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { SqliteApiKeyStore } from '../../shared/adapters/sqlite/sqlite-api-key-store.ts';
import { SqliteDefinitionStore } from '../../shared/adapters/sqlite/sqlite-definition-store.ts';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { SqliteSubscriptionStore } from '../../shared/adapters/sqlite/sqlite-subscription-store.ts';
import { SqliteTriggerStore } from '../../shared/adapters/sqlite/sqlite-trigger-store.ts';
import { describeApiKeyStoreContract } from './api-key-store.contract.ts';
import { describeDefinitionStoreContract } from './definition-store.contract.ts';
import { created, EXPIRES, newId, runRecord } from './run-fixtures.ts';
import { describeRunStoreContract } from './run-store.contract.ts';
import { describeRunStoreConditionContract } from './run-store-conditions.contract.ts';
import { describeRunStoreSweepContract } from './run-store-sweep.contract.ts';
import { describeSubscriptionStoreContract } from './subscription-store.contract.ts';
import { describeTriggerStoreContract } from './trigger-store.contract.ts';

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

const definitionsDb = suiteStore('definitions');
const keysDb = suiteStore('keys');
describeDefinitionStoreContract(
  'SQLite',
  async () => new SqliteDefinitionStore((await definitionsDb()).sqlite),
);
describeApiKeyStoreContract('SQLite', async () => new SqliteApiKeyStore((await keysDb()).sqlite));
const triggersDb = suiteStore('triggers');
const subscriptionsDb = suiteStore('subscriptions');
describeTriggerStoreContract('SQLite', async () => new SqliteTriggerStore((await triggersDb()).sqlite));
describeSubscriptionStoreContract(
  'SQLite',
  async () => new SqliteSubscriptionStore((await subscriptionsDb()).sqlite),
);
describeRunStoreContract('SQLite', suiteStore('runs'));
describeRunStoreConditionContract('SQLite', suiteStore('conditions'));
describeRunStoreSweepContract('SQLite', suiteStore('sweep'));

// The whole contract through the offloading decorator (threshold 0: every value offloaded), as
// `npm start` would compose it with the payload files.
const offloading = (name: string) => {
  const store = suiteStore(name);
  return async () =>
    new OffloadingRunStore({
      runs: await store(),
      payloads: new FilePayloadStore({ dir: join(dir, `${name}-payloads`) }),
      thresholdBytes: 0,
    });
};
describeRunStoreContract('offloading, SQLite', offloading('offload-runs'));
describeRunStoreConditionContract('offloading, SQLite', offloading('offload-conditions'), { offloads: true });
describeRunStoreSweepContract('offloading, SQLite', offloading('offload-sweep'));

describe('SqliteRunStore', () => {
  it('deletes the items whose TTL has passed on expire(), and keeps the others', async () => {
    // Prepare
    const store = await suiteStore('ttl')();
    const old = await created(store, runRecord({ expiresAt: 1_000 }));
    const kept = await created(store, runRecord({ expiresAt: EXPIRES }));
    for (const run of [old, kept]) {
      await store.updateNode(
        run.runId,
        'a',
        { status: ['ABSENT'] },
        { set: { status: 'READY' } },
        run.expiresAt,
      );
      await store.addDone(run.runId, '0#0', 1, run.expiresAt);
    }

    // Act
    const deleted = await store.expire(2_000 * 1000);

    // Assess
    expect(deleted).toBe(4);
    expect(await store.getRun(old.runId)).toBeUndefined();
    expect(await store.getInputs(old.runId)).toBeUndefined();
    expect(await store.getNode(old.runId, 'a')).toBeUndefined();
    expect(await store.addDone(old.runId, '0#0', 2, EXPIRES)).toEqual({ applied: true, size: 1 });
    expect(await store.getRun(kept.runId)).toMatchObject({ runId: kept.runId });
    expect(await store.getNode(kept.runId, 'a')).toMatchObject({ status: 'READY' });
  });

  it('keeps every committed write across a reopen of the file', async () => {
    // Prepare
    const path = join(dir, 'reopen.db');
    const first = new SqliteRunStore({ database: path });
    const run = await created(first, runRecord({ runId: newId() }));
    await first.arrive(run.runId, 'c', 'a', 'FAILED', EXPIRES);
    first.close();

    // Act
    const second = new SqliteRunStore({ database: path });
    opened.push(second);

    // Assess
    expect(await second.getRun(run.runId)).toEqual(run);
    expect(await second.getNode(run.runId, 'c')).toMatchObject({ arrived: ['a'], failedParents: ['a'] });
  });
});
