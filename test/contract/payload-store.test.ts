import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, type Fauxqs, s3Client, startFauxqs } from '../../functions/local/fauxqs.ts';
import { S3PayloadStore } from '../../shared/adapters/aws/s3-payload-store.ts';
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
describePayloadStoreContract('S3 on fauxqs', async () => new S3PayloadStore({ client, bucket }));

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
