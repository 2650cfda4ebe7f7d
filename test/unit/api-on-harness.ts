import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { type ApiDeps, createApp } from '../../shared/api/app.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import { type HarnessOptions, TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies
export type Json = Record<string, any>;

export interface ApiOnHarnessOptions {
  /** Wire the run engine into the app. @default true */
  readonly withEngine?: boolean;
  /** The sleep the `wait` polling uses. @default resolves at once */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Engine settings of the harness. */
  readonly settings?: HarnessOptions['settings'];
  /** The app's environment per request, as an adapter passes it (`lambdaContext` on AWS). */
  readonly env?: Record<string, unknown>;
  /** Run histories and the live event hub. */
  readonly events?: ApiDeps['events'];
  /** Per-workflow run counts. */
  readonly runCounters?: ApiDeps['runCounters'];
}

/**
 * The API on a workflow harness's memory adapters, with a key for tenant "test" and one for
 * "other", and `call` to send requests with a key (the "test" one unless told).
 */
export async function apiOnHarness(options: ApiOnHarnessOptions = {}) {
  const harness = new WorkflowHarness(options.settings ? { settings: options.settings } : {});
  const apiKeys = new MemoryApiKeyStore();
  const keyDeps = { apiKeys, clock: harness.clock, ids: sequentialIds('key') };
  const [own, other] = await Promise.all([createApiKey(keyDeps, TENANT), createApiKey(keyDeps, 'other')]);
  const logged: unknown[] = [];
  const app = createApp({
    definitions: harness.definitions,
    clock: harness.clock,
    storeName: 'memory',
    apiKeys,
    ids: sequentialIds('api-key'),
    ...((options.withEngine ?? true) && { engine: harness.engine }),
    nodeTypes: { types: harness.engine.nodeTypes(), where: 'this harness' },
    sleep: options.sleep ?? (async () => {}),
    log: (_message, error) => logged.push(error),
    ...(options.events && { events: options.events }),
    ...(options.runCounters && { runCounters: options.runCounters }),
  });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    type = 'application/json',
    key = own.key,
  ) => {
    const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
    const headers = { authorization: `Bearer ${key}`, 'content-type': type };
    const init = { method, headers, ...(text !== undefined && { body: text }) };
    const response = await app.request(path, init, options.env);
    return { status: response.status, json: (await response.json()) as Json, headers: response.headers };
  };
  return { harness, call, logged, otherKey: other.key };
}
