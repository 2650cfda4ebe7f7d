import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../shared/adapters/memory/api-key-store.ts';
import { cachedResolver } from '../../../shared/api/auth.ts';
import { createApiKey, resolveApiKey } from '../../../shared/engine/api-keys.ts';
import { createAuthorizerHandler } from '../../../shared/handlers/authorizer.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import { sequentialIds } from '../../../shared/ports/ids.ts';
import { authorizerEvent } from './fixtures.ts';

async function setup() {
  const clock = new FakeClock();
  const apiKeys = new MemoryApiKeyStore();
  const { key } = await createApiKey({ apiKeys, clock, ids: sequentialIds('k') }, 'acme');
  const logged: unknown[] = [];
  const handler = createAuthorizerHandler({
    resolveKey: cachedResolver(
      (candidate) => resolveApiKey(apiKeys, candidate),
      () => clock.now(),
    ),
    log: (_message, error) => logged.push(error),
  });
  return { handler, key, logged };
}

describe('the authorizer handler', () => {
  it('authorizes a valid Bearer key and passes its tenant on', async () => {
    // Prepare
    const { handler, key } = await setup();

    // Act
    const result = await handler(authorizerEvent({ authorization: `Bearer ${key}` }));

    // Assess
    expect(result).toEqual({ isAuthorized: true, context: { tenant: 'acme' } });
  });

  it('authorizes a valid X-Api-Key header', async () => {
    // Prepare
    const { handler, key } = await setup();

    // Act
    const result = await handler(authorizerEvent({ 'x-api-key': key }));

    // Assess
    expect(result).toEqual({ isAuthorized: true, context: { tenant: 'acme' } });
  });

  it('decides on the Authorization header when both headers are sent, as API Gateway caches by it', async () => {
    // Prepare
    const { handler, key } = await setup();

    // Act
    const result = await handler(
      authorizerEvent({ authorization: `Bearer ${key}`, 'x-api-key': 'skein_other' }),
    );

    // Assess
    expect(result).toEqual({ isAuthorized: true, context: { tenant: 'acme' } });
  });

  it.each([
    ['no key', {}],
    ['an unknown key', { authorization: 'Bearer skein_not-a-key' }],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('refuses a request with %s', async (_what, headers: Record<string, string>) => {
    // Prepare
    const { handler } = await setup();

    // Act
    const result = await handler(authorizerEvent(headers));

    // Assess
    expect(result).toEqual({ isAuthorized: false, context: {} });
  });

  it('refuses and logs, without throwing, when the key store fails', async () => {
    // Prepare
    const logged: unknown[] = [];
    const handler = createAuthorizerHandler({
      resolveKey: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
      log: (_message, error) => logged.push(error),
    });

    // Act
    const result = await handler(authorizerEvent({ authorization: 'Bearer skein_abc' }));

    // Assess
    expect(result).toEqual({ isAuthorized: false, context: {} });
    expect(logged).toEqual([new Error('ProvisionedThroughputExceededException')]);
  });
});
