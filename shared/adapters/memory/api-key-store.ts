import type { ApiKeyRecord, ApiKeyStore } from '../../ports/api-key-store.ts';

export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly keys = new Map<string, ApiKeyRecord>();

  async put(record: ApiKeyRecord): Promise<void> {
    this.keys.set(record.keyHash, { ...record });
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const record = this.keys.get(keyHash);
    return record && { ...record };
  }
}
