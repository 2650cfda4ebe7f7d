import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from '../../cli/keys-command.ts';
import { hashApiKey } from '../../shared/engine/api-keys.ts';

const dynamo = mockClient(DynamoDBDocumentClient);

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

afterEach(() => dynamo.reset());

describe('skein keys create --aws-table', () => {
  it('stores only the hash of the new key in the deployed control table', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(TransactWriteCommand).resolves({});
    const { io, out } = captureIo();

    // Act
    const code = await keysCreateCommand(
      { tenant: 'acme', dataDir: '.skein', json: true, awsTable: 'Skein-dev-Control', region: 'eu-west-1' },
      io,
    );

    // Assess
    expect(code).toBe(0);
    const { key } = JSON.parse(out[0] ?? '{}') as { key: string };
    const [write] = dynamo.commandCalls(TransactWriteCommand);
    const puts = write?.args[0].input.TransactItems?.map((item) => item.Put) ?? [];
    expect(puts.map((put) => put?.TableName)).toEqual(['Skein-dev-Control', 'Skein-dev-Control']);
    expect(JSON.stringify(puts)).toContain(hashApiKey(key));
    expect(JSON.stringify(puts)).not.toContain(key);
  });

  it('explains what to check when the table cannot be written', async () => {
    // Prepare
    dynamo.on(QueryCommand).rejects(new Error('Requested resource not found'));
    const { io, err } = captureIo();

    // Act
    const code = await keysCreateCommand(
      { tenant: 'acme', dataDir: '.skein', awsTable: 'missing', region: 'eu-west-1' },
      io,
    );

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(
      /Could not write to missing: Requested resource not found[\s\S]*credentials/,
    );
  });
});

describe('skein keys list --aws-table', () => {
  it("prints the tenant's keys from its listing items, oldest first", async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'T#acme',
          sk: 'KEY#01A',
          keyId: '01A',
          tenant: 'acme',
          keyHash: 'h1',
          createdAt: '2026-01-01T00:00:00.000Z',
          label: 'ci',
        },
        {
          pk: 'T#acme',
          sk: 'KEY#01B',
          keyId: '01B',
          tenant: 'acme',
          keyHash: 'h2',
          createdAt: '2026-01-02T00:00:00.000Z',
          lastUsedAt: '2026-01-03T00:00:00.000Z',
        },
      ],
    });
    const { io, out } = captureIo();

    // Act
    const code = await keysListCommand(
      { tenant: 'acme', dataDir: '.skein', awsTable: 'Skein-dev-Control' },
      io,
    );

    // Assess
    expect(code).toBe(0);
    expect(out).toEqual([
      'KEY ID  CREATED                   LAST USED                 LABEL',
      '01A     2026-01-01T00:00:00.000Z  -                         ci',
      '01B     2026-01-02T00:00:00.000Z  2026-01-03T00:00:00.000Z',
    ]);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'Skein-dev-Control',
      ExpressionAttributeValues: { ':pk': 'T#acme', ':prefix': 'KEY#' },
    });
  });
});

describe('skein keys revoke --aws-table', () => {
  it('deletes the key item and the listing item in one transaction', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: { pk: 'T#acme', sk: 'KEY#01A', keyId: '01A', keyHash: 'h1' } });
    dynamo.on(TransactWriteCommand).resolves({});
    const { io, out } = captureIo();

    // Act
    const code = await keysRevokeCommand(
      '01A',
      { tenant: 'acme', dataDir: '.skein', awsTable: 'Skein-dev-Control', json: true },
      io,
    );

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out[0] ?? '{}')).toEqual({ tenant: 'acme', keyId: '01A', revoked: true });
    const deletes = dynamo
      .commandCalls(TransactWriteCommand)[0]
      ?.args[0].input.TransactItems?.map((item) => item.Delete?.Key);
    expect(deletes).toEqual([
      { pk: 'KEY#h1', sk: 'KEY' },
      { pk: 'T#acme', sk: 'KEY#01A' },
    ]);
  });

  it('exits 1 and says how to find the ids when the tenant has no such key', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({});
    const { io, err } = captureIo();

    // Act
    const code = await keysRevokeCommand(
      '01Z',
      { tenant: 'acme', dataDir: '.skein', awsTable: 'Skein-dev-Control' },
      io,
    );

    // Assess
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('NOT_FOUND: tenant "acme" has no API key "01Z"');
    expect(dynamo.commandCalls(TransactWriteCommand)).toEqual([]);
  });
});

describe('skein keys flags', () => {
  it.each([
    ['--api without --key', { api: 'http://localhost:8080' }, '--api needs --key'],
    ['--key without --api', { key: 'skein_x' }, '--key goes with --api'],
    [
      '--api with --aws-table',
      { api: 'http://localhost:8080', key: 'skein_x', awsTable: 't' },
      'give one of them',
    ],
    ['an --api that is not a URL', { api: 'localhost', key: 'skein_x' }, 'must be an http(s) URL'],
  ])('refuses %s with exit 2', async (_what, flags, message) => {
    // Prepare
    const { io, err } = captureIo();

    // Act
    const code = await keysListCommand({ tenant: 'acme', dataDir: '.skein', ...flags }, io);

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(message);
  });
});
