import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbApiKeyStore } from '../../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../../shared/adapters/aws/dynamodb-definition-store.ts';
import { decodeCursor } from '../../../shared/adapters/aws/dynamodb-run-listing.ts';

const cursorOf = (key: object) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
/** A client that must not be called: a forged cursor is refused before any request. */
const untouched = {
  send: async () => {
    throw new Error('the store was asked with a forged cursor');
  },
} as unknown as DynamoDBDocumentClient;

describe('forged cursors with keys DynamoDB would refuse', () => {
  it('refuses a run listing cursor whose run id is not one the API accepts, before any request', () => {
    // Prepare
    const long = { pk: `R#${'x'.repeat(2_000)}`, sk: 'RUN', gsi1pk: 'T#t', runId: 'x'.repeat(2_000) };
    const odd = { pk: 'R#a b', sk: 'RUN', gsi1pk: 'T#t', runId: 'a b' };

    // Act
    const refusals = [long, odd].map((key) => {
      try {
        decodeCursor(cursorOf(key), 'gsi1pk', 'T#t');
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    for (const refusal of refusals)
      expect(refusal).toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
  });

  it('refuses workflow, version and key listing cursors whose sort key is over 1,024 bytes', async () => {
    // Prepare
    const definitions = new DynamoDbDefinitionStore({ client: untouched, tableName: 'defs' });
    const keys = new DynamoDbApiKeyStore({ client: untouched, tableName: 'control' });
    const long = 'z'.repeat(1_100);

    // Act
    const refusals = await Promise.all([
      definitions.listWorkflows('t', { cursor: cursorOf({ pk: 'T#t', sk: `W#${long}` }) }).catch((e) => e),
      keys.list('t', { cursor: cursorOf({ pk: 'T#t', sk: `KEY#${long}` }) }).catch((e) => e),
    ]);

    // Assess
    for (const refusal of refusals)
      expect(refusal).toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
  });
});
