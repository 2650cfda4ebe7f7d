import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbSubscriptionStore } from '../../shared/adapters/aws/dynamodb-subscription-store.ts';
import { type ApiDeps, createApp } from '../../shared/api/app.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import { noBinder } from '../../shared/ports/subscription-binder.ts';
import { localTables } from '../setup/dynamo.ts';

/**
 * The API over real HTTP on a free port, backed by DynamoDB Local, with a key for two tenants.
 * `options` overrides app dependencies (e.g. `authFailures`).
 */
export async function startApiServer(options: Partial<Pick<ApiDeps, 'authFailures'>> = {}) {
  const { doc, tables } = await localTables('e2e');
  const definitions = new DynamoDbDefinitionStore({ client: doc, tableName: tables.definitions });
  const apiKeys = new DynamoDbApiKeyStore({ client: doc, tableName: tables.control });
  const keyDeps = { apiKeys, clock: systemClock, ids: randomIds };
  const [acme, globex] = await Promise.all([createApiKey(keyDeps, 'acme'), createApiKey(keyDeps, 'globex')]);
  const errors: unknown[] = [];
  const app = createApp({
    definitions,
    clock: systemClock,
    storeName: 'dynamodb-local',
    apiKeys,
    ids: randomIds,
    log: (_message, error) => errors.push(error),
    subscriptions: {
      subscriptions: new DynamoDbSubscriptionStore({ client: doc, tableName: tables.control }),
      binder: noBinder,
    },
    ...options,
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request = async (
    method: string,
    path: string,
    init: { key?: string; body?: string; type?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    if (init.type) headers['content-type'] = init.type;
    const response = await fetch(`${url}${path}`, { method, headers, body: init.body ?? null });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies
    return { status: response.status, json: json as Record<string, any>, text, headers: response.headers };
  };
  return {
    url,
    keys: { acme: acme.key, globex: globex.key },
    keyIds: { acme: acme.record.keyId, globex: globex.record.keyId },
    apiKeys,
    request,
    /** Unexpected errors the app logged (each would have been a 500). */
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
