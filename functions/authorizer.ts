import { createAuthorizerHandler } from '../shared/handlers/authorizer.ts';
import { authorizer } from './composition/aws-api-keys.ts';

/** HTTP API Lambda authorizer (payload 2.0, simple responses): API key → `{tenant, keyId}`. */
export const handler = createAuthorizerHandler(authorizer());
