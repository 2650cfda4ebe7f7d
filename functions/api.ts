import { createApiHandler } from '../shared/handlers/api.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { definitions, engine, logError, resolveKey } from './composition/aws.ts';

/** API Gateway HTTP API (payload 2.0) → the Hono app. */
export const handler = createApiHandler({
  definitions: definitions(),
  engine: engine(),
  clock: systemClock,
  resolveKey: resolveKey(),
  storeName: 'dynamodb',
  log: logError,
});
