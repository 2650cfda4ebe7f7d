/** An API key as stored: only its sha256 hash, never the key itself. */
export interface ApiKeyRecord {
  readonly keyHash: string;
  readonly tenant: string;
  readonly createdAt: string;
  readonly label?: string;
}

export interface ApiKeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
}
