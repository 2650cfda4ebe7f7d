import { describe, expect, it, vi } from 'vitest';
import { MemoryApiKeyStore } from '../../../shared/adapters/memory/api-key-store.ts';
import { FailureLimiter } from '../../../shared/api/failure-limiter.ts';
import { keyResolver } from '../../../shared/api/key-resolver.ts';
import { createApiKey } from '../../../shared/engine/api-keys.ts';
import { createAuthorizerHandler } from '../../../shared/handlers/authorizer.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import { sequentialIds } from '../../../shared/ports/ids.ts';
import { authorizerEvent } from './fixtures.ts';

const BURST = 5;

async function setup() {
  const clock = new FakeClock();
  const apiKeys = new MemoryApiKeyStore();
  const { key, record } = await createApiKey({ apiKeys, clock, ids: sequentialIds('k') }, 'acme');
  const reads = vi.spyOn(apiKeys, 'getByHash');
  const logged: unknown[] = [];
  const handler = createAuthorizerHandler({
    resolver: keyResolver(apiKeys, { clock, cacheTtlMs: 30_000 }),
    limiter: new FailureLimiter(() => clock.now(), { burst: BURST, perMinute: BURST }),
    log: (_message, error) => logged.push(error),
  });
  return { handler, key, keyId: record.keyId, logged, reads, clock };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('the authorizer handler', () => {
  it('authorizes a valid Bearer key and passes its tenant and key id on', async () => {
    // Prepare
    const { handler, key, keyId } = await setup();

    // Act
    const result = await handler(authorizerEvent(bearer(key)));

    // Assess
    expect(result).toEqual({ isAuthorized: true, context: { tenant: 'acme', keyId } });
  });

  it('authorizes a valid X-Api-Key header when there is no Authorization header', async () => {
    // Prepare
    const { handler, key } = await setup();

    // Act
    const result = await handler(authorizerEvent({ 'X-Api-Key': key }));

    // Assess
    expect(result).toMatchObject({ isAuthorized: true, context: { tenant: 'acme' } });
  });

  it('decides on the Authorization header when both headers are sent, as API Gateway caches by it', async () => {
    // Prepare
    const { handler, key } = await setup();

    // Act
    const authorizationGood = await handler(authorizerEvent({ ...bearer(key), 'x-api-key': 'skein_other' }));
    const authorizationBad = await handler(
      authorizerEvent({ ...bearer('skein_other'), 'x-api-key': key }, '198.51.100.1'),
    );
    const notBearer = await handler(
      authorizerEvent({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': key }, '198.51.100.2'),
    );

    // Assess
    expect(authorizationGood).toMatchObject({ isAuthorized: true });
    expect(authorizationBad).toEqual({ isAuthorized: false, context: {} });
    expect(notBearer).toEqual({ isAuthorized: false, context: {} });
  });

  it.each([
    ['no key', {}],
    ['an unknown key', bearer('skein_not-a-key')],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('refuses a request with %s', async (_what, headers: Record<string, string>) => {
    // Prepare
    const { handler } = await setup();

    // Act
    const result = await handler(authorizerEvent(headers));

    // Assess
    expect(result).toEqual({ isAuthorized: false, context: {} });
  });

  it(`refuses a source after ${BURST} unknown keys without reading the store, even for a good key`, async () => {
    // Prepare
    const { handler, key, reads } = await setup();
    for (let i = 0; i < BURST; i++) await handler(authorizerEvent(bearer(`skein_guess-${i}`)));
    reads.mockClear();

    // Act
    const guess = await handler(authorizerEvent(bearer('skein_guess-again')));
    const good = await handler(authorizerEvent(bearer(key)));

    // Assess
    expect(guess).toEqual({ isAuthorized: false, context: {} });
    expect(good).toEqual({ isAuthorized: false, context: {} });
    expect(reads).not.toHaveBeenCalled();
  });

  it('keeps serving other sources while one is limited, and the limited one once it has waited', async () => {
    // Prepare
    const { handler, key, clock } = await setup();
    for (let i = 0; i < BURST; i++) await handler(authorizerEvent(bearer(`skein_guess-${i}`)));

    // Act
    const elsewhere = await handler(authorizerEvent(bearer(key), '198.51.100.9'));
    clock.advance(60_000 / BURST);
    const later = await handler(authorizerEvent(bearer(key)));

    // Assess
    expect(elsewhere).toMatchObject({ isAuthorized: true });
    expect(later).toMatchObject({ isAuthorized: true });
  });

  it('refuses and logs, without throwing, when the key store fails', async () => {
    // Prepare
    const clock = new FakeClock();
    const apiKeys = new MemoryApiKeyStore();
    vi.spyOn(apiKeys, 'getByHash').mockRejectedValue(new Error('ProvisionedThroughputExceededException'));
    const logged: unknown[] = [];
    const handler = createAuthorizerHandler({
      resolver: keyResolver(apiKeys, { clock }),
      limiter: new FailureLimiter(() => clock.now()),
      log: (_message, error) => logged.push(error),
    });

    // Act
    const result = await handler(authorizerEvent(bearer('skein_abc')));

    // Assess
    expect(result).toEqual({ isAuthorized: false, context: {} });
    expect(logged).toEqual([new Error('ProvisionedThroughputExceededException')]);
  });
});
