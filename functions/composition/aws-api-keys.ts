/**
 * API keys on AWS: the control table's key store (the api function reads and writes it) and the
 * authorizer's lookup. The authorizer's bundle is this file and `aws-common.ts` only: no engine,
 * SQS, SNS or Scheduler client, as it runs in series with the API's cold start.
 */
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { FailureLimiter } from '../../shared/api/failure-limiter.ts';
import { AWS_KEY_CACHE_MS, keyResolver } from '../../shared/api/key-resolver.ts';
import type { AuthorizerDeps } from '../../shared/handlers/authorizer.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { config, dynamo, logError, once } from './aws-common.ts';

/** API keys in the control table. */
export const apiKeys = once(
  () => new DynamoDbApiKeyStore({ client: dynamo(), tableName: config.controlTable }),
);

/**
 * The authorizer's key lookup (found keys cached per instance for `AWS_KEY_CACHE_MS`, read-only:
 * it records no use) and its per-instance limit on unknown keys per source address.
 */
export const authorizer = once(
  (): AuthorizerDeps => ({
    resolver: keyResolver(apiKeys(), { clock: systemClock, cacheTtlMs: AWS_KEY_CACHE_MS, log: logError }),
    limiter: new FailureLimiter(systemClock.now),
    log: logError,
  }),
);
