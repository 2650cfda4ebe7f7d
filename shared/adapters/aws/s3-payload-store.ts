/**
 * The payload store on S3 (AWS) or on fauxqs's S3 emulation (local mode): one object per payload,
 * `application/json`, in one bucket. The bucket is encrypted by S3 (SSE-S3, the bucket default set
 * by the CDK stack), so no request names a key.
 *
 * **Expiry.** A run item's TTL is its own (the definition's `retentionDays`, 1 to 3,650 days,
 * after the run's active time), but S3 lifecycle rules count days from an object's creation and
 * cannot read a per-object date. So each object is tagged with an expiry class
 * (`skein-expiry=d<days>`): the fewest days of {@link PAYLOAD_EXPIRY_DAYS} that reach past its
 * item's TTL plus {@link TTL_DELETION_MARGIN_DAYS} (DynamoDB deletes expired items within about
 * two days, and they can be read until then). The CDK stack has one lifecycle rule per class,
 * and one for untagged objects at the longest.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PayloadStore } from '../../ports/payload-store.ts';
import { expiryClassOf, PAYLOAD_EXPIRY_TAG } from './payload-expiry.ts';

export interface S3PayloadStoreOptions {
  /** An S3 client; build it once per cold start. */
  readonly client: S3Client;
  readonly bucket: string;
  /** Epoch ms now, for expiry classes. @default Date.now */
  readonly now?: () => number;
}

/**
 * Payloads as S3 objects. A missing object reads as undefined; every other error is the SDK's
 * (throttling and 5xx are transient: `isTransientAwsError` puts the message back).
 * @example new S3PayloadStore({ client: new S3Client({}), bucket: 'skein-prod-payloads' })
 */
export class S3PayloadStore implements PayloadStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly now: () => number;

  constructor(options: S3PayloadStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.now = options.now ?? Date.now;
  }

  async put(key: string, bytes: Uint8Array, expiresAt?: number): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/json',
        ContentLength: bytes.byteLength,
        Tagging: `${PAYLOAD_EXPIRY_TAG}=d${expiryClassOf(expiresAt, this.now())}`,
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
