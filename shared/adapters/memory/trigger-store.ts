import type { Page, PageRequest } from '../../ports/page.ts';
import {
  FIRING_LOG_SIZE,
  type FiringRecord,
  type TriggerChange,
  type TriggerRecord,
  type TriggerStore,
} from '../../ports/trigger-store.ts';
import { pageOf } from './paging.ts';

const clone = <T>(value: T): T => structuredClone(value);

/** In-process triggers with the same contract as the DynamoDB adapter. */
export class MemoryTriggerStore implements TriggerStore {
  private readonly triggers = new Map<string, TriggerRecord>();
  private readonly logs = new Map<string, FiringRecord[]>();

  async put(record: TriggerRecord): Promise<void> {
    this.triggers.set(keyOf(record.tenant, record.triggerId), clone(record));
  }

  async get(tenant: string, triggerId: string): Promise<TriggerRecord | undefined> {
    const found = this.triggers.get(keyOf(tenant, triggerId));
    return found && clone(found);
  }

  async getByHook(hookId: string): Promise<TriggerRecord | undefined> {
    const found = [...this.triggers.values()].find((record) => record.webhook?.hookId === hookId);
    return found && clone(found);
  }

  async list(tenant: string, page: PageRequest = {}): Promise<Page<TriggerRecord>> {
    const own = [...this.triggers.values()]
      .filter((record) => record.tenant === tenant)
      .sort((a, b) => (a.triggerId < b.triggerId ? -1 : 1))
      .map(clone);
    return pageOf(own, page, (record) => `${record.tenant}#${record.triggerId}`);
  }

  async listCron(): Promise<TriggerRecord[]> {
    return [...this.triggers.values()]
      .filter((record) => record.type === 'cron' && record.enabled)
      .map(clone);
  }

  async listEvent(): Promise<TriggerRecord[]> {
    return [...this.triggers.values()]
      .filter((record) => record.type === 'event' && record.enabled)
      .map(clone);
  }

  async update(tenant: string, triggerId: string, change: TriggerChange): Promise<boolean> {
    const key = keyOf(tenant, triggerId);
    const found = this.triggers.get(key);
    if (!found) return false;
    this.triggers.set(key, { ...found, ...clone(change) });
    return true;
  }

  async delete(tenant: string, triggerId: string): Promise<boolean> {
    const key = keyOf(tenant, triggerId);
    this.logs.delete(key);
    return this.triggers.delete(key);
  }

  async recordFiring(tenant: string, triggerId: string, firing: FiringRecord): Promise<void> {
    const key = keyOf(tenant, triggerId);
    const log = (this.logs.get(key) ?? []).filter((f) => !(f.at === firing.at && f.key === firing.key));
    log.push(clone(firing));
    log.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
    this.logs.set(key, log.slice(0, FIRING_LOG_SIZE));
  }

  async firings(tenant: string, triggerId: string, limit = FIRING_LOG_SIZE): Promise<FiringRecord[]> {
    return (this.logs.get(keyOf(tenant, triggerId)) ?? []).slice(0, limit).map(clone);
  }
}

const keyOf = (tenant: string, triggerId: string) => `${tenant}\u0000${triggerId}`;
const sortKey = (firing: FiringRecord) => `${firing.at}#${firing.key}`;
