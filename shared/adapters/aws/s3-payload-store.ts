/**
 * The payload store on S3 (AWS) or on fauxqs's S3 emulation (local mode): one object per payload,
 * `application/json`, in one bucket whose lifecycle rule expires objects with the run retention.
 * The bucket is encrypted by S3 (SSE-S3, the bucket default set by the CDK stack), so no request
 * names a key.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PayloadStore } from '../../ports/payload-store.ts';

export interface S3PayloadStoreOptions {
  /** An S3 client; build it once per cold start. */
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * Payloads as S3 objects. A missing object reads as undefined; every other error is the SDK's
 * (throttling and 5xx are transient: `isTransientAwsError` puts the message back).
 * @example new S3PayloadStore({ client: new S3Client({}), bucket: 'skein-prod-payloads' })
 */
export class S3PayloadStore implements PayloadStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3PayloadStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/json',
        ContentLength: bytes.byteLength,
      }),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (Body === undefined) return new Uint8Array();
      return await Body.transformToByteArray();
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}
