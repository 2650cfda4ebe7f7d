import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from '../../ports/api-key-store.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import { pageOf } from './paging.ts';

interface Stored {
  readonly record: ApiKeyRecord;
  lastUsedAt?: string;
}

/** In-process API keys with the same contract as the DynamoDB adapter. */
export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly byHash = new Map<string, Stored>();

  async put(record: ApiKeyRecord): Promise<void> {
    if (this.byHash.has(record.keyHash) || this.find(record.tenant, record.keyId)) {
      throw new Error(`an API key with id ${record.keyId} or the same hash exists already`);
    }
    this.byHash.set(record.keyHash, { record: { ...record } });
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const stored = this.byHash.get(keyHash);
    return stored && { ...stored.record };
  }

  async list(tenant: string, page: PageRequest = {}): Promise<Page<ApiKeySummary>> {
    const keys = [...this.byHash.values()]
      .filter((stored) => stored.record.tenant === tenant)
      .sort((a, b) => (a.record.keyId < b.record.keyId ? -1 : 1))
      .map(summaryOf);
    // The tenant is part of the cursor, so a cursor of another listing is refused as DynamoDB does.
    return pageOf(keys, page, (key) => `${key.tenant}#${key.keyId}`);
  }

  async revoke(tenant: string, keyId: string): Promise<boolean> {
    const stored = this.find(tenant, keyId);
    return stored !== undefined && this.byHash.delete(stored.record.keyHash);
  }

  async recordUse(tenant: string, keyId: string, usedAt: string, staleBefore: string): Promise<void> {
    const stored = this.find(tenant, keyId);
    if (stored && (stored.lastUsedAt === undefined || stored.lastUsedAt <= staleBefore)) {
      stored.lastUsedAt = usedAt;
    }
  }

  private find(tenant: string, keyId: string): Stored | undefined {
    for (const stored of this.byHash.values()) {
      if (stored.record.tenant === tenant && stored.record.keyId === keyId) return stored;
    }
    return undefined;
  }
}

function summaryOf({ record, lastUsedAt }: Stored): ApiKeySummary {
  const { keyId, tenant, createdAt, label } = record;
  return {
    keyId,
    tenant,
    createdAt,
    ...(label !== undefined && { label }),
    ...(lastUsedAt !== undefined && { lastUsedAt }),
  };
}
