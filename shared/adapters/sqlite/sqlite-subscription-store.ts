import type { DeliveryAttempt, Subscription } from '../../domain/subscriptions.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import { deliveryKeyOf, type SubscriptionStore } from '../../ports/subscription-store.ts';
import { pageOf } from '../memory/paging.ts';
import type { SqliteDatabase } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscriptions (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscription_deliveries (
  tenant TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, subscription_id, sort_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS subscription_deliveries_expiry ON subscription_deliveries (expires_at);
`;

/**
 * Event subscriptions and the webhook deliverer's attempts in the embedded SQLite database, with
 * the memory and DynamoDB adapters' contract. Attempts carry their TTL (`expire` deletes the
 * passed ones).
 * @example const subscriptions = new SqliteSubscriptionStore(openSqlite('.skein/skein.db'));
 */
export class SqliteSubscriptionStore implements SubscriptionStore {
  constructor(private readonly sqlite: SqliteDatabase) {
    sqlite.db.exec(SCHEMA);
  }

  put(subscription: Subscription): Promise<void> {
    return this.sqlite.run(true, () => {
      this.sqlite
        .statement('INSERT OR REPLACE INTO subscriptions (tenant, id, data) VALUES (?, ?, ?)')
        .run(subscription.tenant, subscription.id, JSON.stringify(subscription));
    });
  }

  get(tenant: string, id: string): Promise<Subscription | undefined> {
    return this.sqlite.run(false, () => {
      const row = this.sqlite
        .statement('SELECT data FROM subscriptions WHERE tenant = ? AND id = ?')
        .get(tenant, id) as { data: string } | undefined;
      return row && (JSON.parse(row.data) as Subscription);
    });
  }

  list(tenant: string): Promise<Subscription[]> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT data FROM subscriptions WHERE tenant = ? ORDER BY id')
        .all(tenant) as { data: string }[];
      return rows.map((row) => JSON.parse(row.data) as Subscription);
    });
  }

  remove(tenant: string, id: string): Promise<boolean> {
    return this.sqlite.run(
      true,
      () =>
        this.sqlite.statement('DELETE FROM subscriptions WHERE tenant = ? AND id = ?').run(tenant, id)
          .changes > 0,
    );
  }

  recordDelivery(attempt: DeliveryAttempt, expiresAt: number): Promise<void> {
    return this.sqlite.run(true, () => {
      this.sqlite
        .statement(
          `INSERT OR REPLACE INTO subscription_deliveries (tenant, subscription_id, sort_key, expires_at, data)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(
          attempt.tenant,
          attempt.subscriptionId,
          deliveryKeyOf(attempt),
          expiresAt,
          JSON.stringify(attempt),
        );
    });
  }

  listDeliveries(tenant: string, id: string, page: PageRequest = {}): Promise<Page<DeliveryAttempt>> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement(
          'SELECT data FROM subscription_deliveries WHERE tenant = ? AND subscription_id = ? ORDER BY sort_key DESC',
        )
        .all(tenant, id) as { data: string }[];
      const list = rows.map((row) => JSON.parse(row.data) as DeliveryAttempt);
      return pageOf(list, page, (attempt) => `${tenant}#${id}#${deliveryKeyOf(attempt)}`);
    });
  }

  /** TTL: deletes the attempts whose `expiresAt` (epoch seconds) is before `nowMs`; returns how many. */
  expire(nowMs: number): Promise<number> {
    return this.sqlite.run(
      true,
      () =>
        this.sqlite
          .statement('DELETE FROM subscription_deliveries WHERE expires_at < ?')
          .run(Math.floor(nowMs / 1000)).changes,
    );
  }
}
