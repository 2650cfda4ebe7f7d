import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, type Fauxqs, s3Client, startFauxqs } from '../../functions/local/fauxqs.ts';
import { S3PayloadStore } from '../../shared/adapters/aws/s3-payload-store.ts';
import { FilePayloadStore } from '../../shared/adapters/file-payload-store.ts';
import { MemoryPayloadStore } from '../../shared/adapters/memory/payload-store.ts';
import { describePayloadStoreContract } from './payload-store.contract.ts';

// One fauxqs server (its S3 emulation) in this process for the file.
let server: Fauxqs;
let client: S3Client;
let bucket: string;
beforeAll(async () => {
  server = await startFauxqs();
  client = s3Client(server.endpoint);
  bucket = await createBucket(client, 'contract-payloads');
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

describePayloadStoreContract('memory', async () => new MemoryPayloadStore());
describePayloadStoreContract(
  'files',
  async () => new FilePayloadStore({ dir: mkdtempSync(join(tmpdir(), 'payloads-')) }),
);
describePayloadStoreContract('S3 on fauxqs', async () => new S3PayloadStore({ client, bucket }));

describe('FilePayloadStore', () => {
  it('refuses a key that would leave its folder', async () => {
    // Prepare
    const store = new FilePayloadStore({ dir: mkdtempSync(join(tmpdir(), 'payloads-')) });

    // Act
    const refused = store.put('../../etc/evil.json', new Uint8Array([1]));

    // Assess
    await expect(refused).rejects.toThrow('leaves the payload folder');
  });

  it('keeps what it stored for a new instance on the same folder (a restart)', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'payloads-'));
    await new FilePayloadStore({ dir }).put('t/r/nodes/a/output/x.json', Buffer.from('{"a":1}'));

    // Act
    const read = await new FilePayloadStore({ dir }).get('t/r/nodes/a/output/x.json');

    // Assess
    expect(Buffer.from(read ?? []).toString()).toBe('{"a":1}');
  });
});

describe('S3PayloadStore on fauxqs', () => {
  it('fails, rather than reading as missing, when the bucket does not exist', async () => {
    // Prepare
    const store = new S3PayloadStore({ client, bucket: 'no-such-bucket' });

    // Act
    const refused = await store.get('t/r/outputs/x.json').catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).name).toBe('NoSuchBucket');
  });
});
