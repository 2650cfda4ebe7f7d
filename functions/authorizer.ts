import { createAuthorizerHandler } from '../shared/handlers/authorizer.ts';
import { logError, resolveKey } from './composition/aws.ts';

/** HTTP API Lambda authorizer (payload 2.0, simple responses): API key → `{tenant}`. */
export const handler = createAuthorizerHandler({ resolveKey: resolveKey(), log: logError });
