import { join } from 'node:path';
import { type LocalDeps, localDeps } from '../composition/local.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { runningServer } from './server-file.ts';

export interface LocalStore extends LocalDeps {
  readonly endpoint: string;
  /** Stops what this call started (DynamoDB Local), not a store shared with a running server. */
  stop(): Promise<void>;
}

/**
 * Opens the local persisted store: the one a running `npm start` uses if there is one (two JVMs
 * must not share the database files), else a DynamoDB Local started on `<dataDir>/dynamodb`.
 */
export async function openLocalStore(
  dataDir: string,
  options: { memory?: boolean } = {},
): Promise<LocalStore> {
  const running = options.memory ? undefined : runningServer(dataDir);
  if (running?.dynamoEndpoint) {
    const deps = await localDeps(running.dynamoEndpoint);
    return { ...deps, endpoint: running.dynamoEndpoint, stop: async () => deps.close() };
  }
  const dynamo = await startDynamoDbLocal(options.memory ? {} : { dbPath: join(dataDir, 'dynamodb') });
  const deps = await localDeps(dynamo.endpoint);
  return {
    ...deps,
    endpoint: dynamo.endpoint,
    stop: async () => {
      deps.close();
      await dynamo.stop();
    },
  };
}
