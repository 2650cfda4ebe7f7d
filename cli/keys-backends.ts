import { refusalKindOf } from '../shared/api/errors.ts';
import { SkeinError } from '../shared/domain/problems.ts';
import { type ApiKeyDeps, createApiKey, listAllApiKeys, revokeApiKey } from '../shared/engine/api-keys.ts';
import { UsageError } from './run-options.ts';

/** Where `skein keys` finds keys, as the flags say. */
export interface KeysTarget {
  readonly dataDir: string;
  /** A deployed stack's control table (output `ControlTableName`), with your AWS credentials. */
  readonly awsTable?: string;
  readonly region?: string;
  /** A Skein API, with one of the tenant's keys. */
  readonly api?: string;
  readonly key?: string;
}

/** A key as `skein keys list` prints it. */
export interface KeyView {
  readonly keyId: string;
  readonly label?: string;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
}

export interface CreatedKey extends KeyView {
  readonly key: string;
}

/** The three key operations, on a store or through the API. Refusals are `SkeinError`s. */
export interface KeysBackend {
  create(tenant: string, label?: string): Promise<CreatedKey>;
  list(tenant: string): Promise<KeyView[]>;
  revoke(tenant: string, keyId: string): Promise<void>;
  stop(): Promise<void>;
}

/** A request the backend could not make (no store, no API, no credentials): what to print. */
export class BackendError extends Error {}

/**
 * The backend the flags name: the local store (default: a running `npm start`'s, else DynamoDB
 * Local on `--data-dir`), a deployed control table (`--aws-table`), or an API (`--api --key`).
 * Throws `UsageError` for flags that do not go together.
 */
export async function openKeysBackend(target: KeysTarget): Promise<KeysBackend> {
  const { awsTable, api, key } = target;
  if (awsTable !== undefined && api !== undefined) {
    throw new UsageError('--aws-table writes to a table and --api goes through an API: give one of them');
  }
  if (api !== undefined && !key) throw new UsageError('--api needs --key KEY, an API key of the tenant');
  if (key !== undefined && api === undefined) throw new UsageError('--key goes with --api URL');
  if (api !== undefined) return apiBackend(apiUrl(api), key as string);
  if (awsTable !== undefined) return storeBackend(await awsStore(awsTable, target.region), awsTable);
  const { openLocalApiKeys } = await import('../functions/local/local-stack.ts');
  return storeBackend(await openLocalApiKeys(target.dataDir));
}

/** Keys straight in a store: the engine's functions, the same rules as the API. */
function storeBackend(deps: ApiKeyDeps & { stop(): Promise<void> }, awsTable?: string): KeysBackend {
  const explain = async <T>(verb: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SkeinError || awsTable === undefined) throw error;
      throw new BackendError(
        `Could not ${verb} ${awsTable}: ${error instanceof Error ? error.message : String(error)}\n` +
          'Check your AWS credentials and region (AWS_PROFILE, AWS_REGION or --region) and the table name.',
      );
    }
  };
  return {
    create: (tenant, label) =>
      explain('write to', async () => {
        const { key, record } = await createApiKey(deps, tenant, label);
        const { keyId, createdAt } = record;
        return { keyId, key, createdAt, ...(label !== undefined && { label }) };
      }),
    list: (tenant) =>
      explain('read', async () =>
        (await listAllApiKeys(deps.apiKeys, tenant)).map(({ keyId, createdAt, label, lastUsedAt }) =>
          view(keyId, createdAt, label, lastUsedAt),
        ),
      ),
    revoke: (tenant, keyId) => explain('write to', () => revokeApiKey(deps.apiKeys, tenant, keyId)),
    stop: () => deps.stop(),
  };
}

/** The DynamoDB API key store on a real table, with the default AWS credential chain. */
async function awsStore(tableName: string, region?: string): Promise<ApiKeyDeps & { stop(): Promise<void> }> {
  const [
    { DynamoDBClient },
    { DynamoDBDocumentClient },
    { DynamoDbApiKeyStore },
    { systemClock },
    { randomIds },
  ] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('../shared/adapters/aws/dynamodb-api-key-store.ts'),
    import('../shared/ports/clock.ts'),
    import('../shared/ports/ids.ts'),
  ]);
  const client = new DynamoDBClient(region ? { region } : {});
  return {
    apiKeys: new DynamoDbApiKeyStore({ client: DynamoDBDocumentClient.from(client), tableName }),
    clock: systemClock,
    ids: randomIds,
    stop: async () => client.destroy(),
  };
}

/** Keys through the API's key routes, with one of the tenant's keys. */
function apiBackend(base: string, key: string): KeysBackend {
  const keysOf = (tenant: string) => `${base}/v1/tenants/${encodeURIComponent(tenant)}/keys`;
  const send = async (method: string, url: string, body?: unknown) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new BackendError(
        `cannot reach ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    const json = parseJson(text);
    if (response.ok) return json;
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    let message = error?.message ?? `HTTP ${response.status} ${text.slice(0, 200)}`;
    if (response.status === 401 || response.status === 403) message += ' (check --key and --tenant)';
    throw new SkeinError(error?.code ?? `HTTP_${response.status}`, message, refusalKindOf(response.status));
  };
  return {
    create: async (tenant, label) => {
      const created = (await send(
        'POST',
        keysOf(tenant),
        label === undefined ? {} : { label },
      )) as CreatedKey;
      return created;
    },
    list: async (tenant) => {
      const keys: KeyView[] = [];
      let cursor: string | undefined;
      do {
        const query = new URLSearchParams({ limit: '100', ...(cursor && { cursor }) });
        const page = (await send('GET', `${keysOf(tenant)}?${query}`)) as {
          items: KeyView[];
          cursor?: string;
        };
        keys.push(
          ...page.items.map(({ keyId, label, createdAt, lastUsedAt }) =>
            view(keyId, createdAt, label, lastUsedAt),
          ),
        );
        cursor = page.cursor;
      } while (cursor !== undefined);
      return keys;
    },
    revoke: async (tenant, keyId) => {
      await send('DELETE', `${keysOf(tenant)}/${encodeURIComponent(keyId)}`);
    },
    stop: async () => {},
  };
}

function view(keyId: string, createdAt: string, label?: string, lastUsedAt?: string): KeyView {
  return {
    keyId,
    ...(label !== undefined && { label }),
    createdAt,
    ...(lastUsedAt !== undefined && { lastUsedAt }),
  };
}

function apiUrl(api: string): string {
  let url: URL | undefined;
  try {
    url = new URL(api);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`--api must be an http(s) URL such as http://localhost:8080, got "${api}"`);
  }
  return api.replace(/\/+$/, '');
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
