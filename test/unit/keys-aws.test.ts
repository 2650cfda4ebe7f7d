import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { keysCreateCommand } from '../../cli/keys-command.ts';
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
