import { openLocalStore } from '../functions/local/local-store.ts';
import { type ApiKeyDeps, createApiKey } from '../shared/engine/api-keys.ts';
import { EXIT, type Io } from './io.ts';

export interface KeysCreateOptions {
  readonly tenant: string;
  readonly label?: string;
  readonly dataDir: string;
  readonly json?: boolean;
  /** A deployed control table (the stack's `ControlTableName` output): write there with your AWS credentials. */
  readonly awsTable?: string;
  readonly region?: string;
}

/**
 * `skein keys create --tenant T`: prints a new key once; only its hash is stored, in the local
 * store (`.skein/`) or, with `--aws-table`, in a deployed stack's control table.
 */
export async function keysCreateCommand(options: KeysCreateOptions, io: Io): Promise<number> {
  const store = options.awsTable
    ? await awsStore(options.awsTable, options.region)
    : await openLocalStore(options.dataDir);
  try {
    const { key } = await createApiKey(store, options.tenant, options.label);
    if (options.json) io.out(JSON.stringify({ tenant: options.tenant, key }));
    else {
      io.out(key);
      io.err(`Created an API key for tenant "${options.tenant}". It is shown only once; store it now.`);
    }
    return EXIT.ok;
  } catch (error) {
    if (!options.awsTable) throw error;
    io.err(
      `Could not write to ${options.awsTable}: ${error instanceof Error ? error.message : String(error)}`,
    );
    io.err('Check your AWS credentials and region (AWS_PROFILE, AWS_REGION or --region) and the table name.');
    return EXIT.usage;
  } finally {
    await store.stop();
  }
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
