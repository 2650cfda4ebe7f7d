import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { dynamoClients } from '../../functions/local/dynamodb-local.ts';
import { createTables, type TableNames } from '../../shared/adapters/aws/tables.ts';

/**
 * Clients for the run's shared DynamoDB Local (started by `dynamodb-global.ts`).
 * @example const { doc } = localDynamo();
 */
export function localDynamo() {
  const endpoint = inject('dynamoEndpoint');
  if (!endpoint) {
    throw new Error(
      'no DynamoDB Local in this run: the test belongs to a project that test/setup/dynamodb-global.ts skips',
    );
  }
  return { endpoint, ...dynamoClients(endpoint) };
}

/** Table names no other test file uses, so files can run in parallel on one DynamoDB Local. */
export function uniqueTableNames(prefix: string): TableNames {
  const suffix = randomUUID().slice(0, 8);
  return {
    definitions: `${prefix}-definitions-${suffix}`,
    control: `${prefix}-control-${suffix}`,
    runs: `${prefix}-runs-${suffix}`,
  };
}

/**
 * Creates uniquely named tables and returns them with the clients.
 * @example const { doc, tables } = await localTables('contract');
 */
export async function localTables(prefix: string) {
  const dynamo = localDynamo();
  const tables = uniqueTableNames(prefix);
  await createTables(dynamo.client, tables);
  return { ...dynamo, tables };
}
