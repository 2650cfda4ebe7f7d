import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChangeFeedLevel } from '../../shared/adapters/sqlite/change-feed.ts';
import { openSqlite } from '../../shared/adapters/sqlite/database.ts';
import { SqliteApiKeyStore } from '../../shared/adapters/sqlite/sqlite-api-key-store.ts';
import { SqliteDefinitionStore } from '../../shared/adapters/sqlite/sqlite-definition-store.ts';
import { SqliteEventLog, SqliteRunCounters } from '../../shared/adapters/sqlite/sqlite-monitor-stores.ts';
import { SqliteQueue } from '../../shared/adapters/sqlite/sqlite-queue.ts';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { SqliteSubscriptionStore } from '../../shared/adapters/sqlite/sqlite-subscription-store.ts';
import { SqliteTriggerStore } from '../../shared/adapters/sqlite/sqlite-trigger-store.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';

export interface LocalSqliteOptions {
  /** The monitor's node-event level for the change feed, or `off`. @default 'all' (as the local monitor) */
  readonly changeFeed?: ChangeFeedLevel;
  /** The ready queue's visibility timeout, seconds. @default 120 */
  readonly visibilitySeconds?: number;
  /** Deliveries before a ready message moves to the dead-letter queue (`ready-dlq`). @default 5 */
  readonly maxReceiveCount?: number;
  /** How often expired items are deleted (TTL), ms; also once at start. @default 300_000 */
  readonly expireEveryMs?: number;
}

/**
 * Local mode on the embedded store (issue 13): every store and the ready queue on one SQLite
 * database file at `path` (created with its folder if missing), and the TTL sweep running every
 * `expireEveryMs`. Not wired into `npm start` yet (see README "Local mode"); the lead's wiring
 * swaps it for `localDeps`. The change feed is read with `functions/local/sqlite-stream-source.ts`.
 * @example const deps = localSqliteDeps('.skein/skein.db'); ... deps.close();
 */
export function localSqliteDeps(path: string, options: LocalSqliteOptions = {}) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = openSqlite(path);
  const runs = new SqliteRunStore({ database: sqlite, changeFeed: options.changeFeed ?? 'all' });
  const subscriptions = new SqliteSubscriptionStore(sqlite);
  const events = new SqliteEventLog(sqlite);
  const expire = async () => {
    const now = systemClock.now();
    await Promise.all([runs.expire(now), subscriptions.expire(now), events.expire(now)]);
  };
  void expire();
  const timer = setInterval(() => void expire(), options.expireEveryMs ?? 300_000);
  timer.unref();
  return {
    sqlite,
    runs,
    definitions: new SqliteDefinitionStore(sqlite),
    apiKeys: new SqliteApiKeyStore(sqlite),
    triggers: new SqliteTriggerStore(sqlite),
    subscriptions,
    events,
    runCounters: new SqliteRunCounters(sqlite),
    queue: new SqliteQueue(sqlite, {
      name: 'ready',
      visibilitySeconds: options.visibilitySeconds ?? 120,
      deadLetter: 'ready-dlq',
      maxReceiveCount: options.maxReceiveCount ?? 5,
    }),
    deadLetters: new SqliteQueue(sqlite, { name: 'ready-dlq' }),
    clock: systemClock,
    ids: randomIds,
    storeName: 'sqlite',
    close: () => {
      clearInterval(timer);
      sqlite.close();
    },
  };
}

export type LocalSqliteDeps = ReturnType<typeof localSqliteDeps>;
