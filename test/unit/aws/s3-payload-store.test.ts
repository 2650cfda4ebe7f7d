import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { expiryClassOf, PAYLOAD_EXPIRY_DAYS } from '../../../shared/adapters/aws/payload-expiry.ts';
import { S3PayloadStore } from '../../../shared/adapters/aws/s3-payload-store.ts';

const s3 = mockClient(S3Client);
const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400;
const store = new S3PayloadStore({
  client: new S3Client({ region: 'eu-west-1' }),
  bucket: 'skein-prod-payloads',
  now: () => NOW,
});

beforeEach(() => {
  s3.reset();
});

describe('S3PayloadStore', () => {
  it('puts JSON tagged with the expiry class that outlives the item’s TTL by the deletion margin', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const expiresAt = NOW / 1000 + 30 * DAY;

    // Act
    await store.put('acme/01JRUN/outputs/ab.json', Buffer.from('{"a":1}'), expiresAt);
    await store.put('acme/01JRUN/inputs/cd.json', Buffer.from('{}'));

    // Assess
    const calls = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(calls[0]).toMatchObject({
      Bucket: 'skein-prod-payloads',
      Key: 'acme/01JRUN/outputs/ab.json',
      ContentType: 'application/json',
      ContentLength: 7,
      Tagging: 'skein-expiry=d35',
    });
    expect(calls[1]?.Tagging).toBe('skein-expiry=d4020');
  });

  it('reads a missing object as undefined and passes every other error on', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    s3.on(GetObjectCommand, { Key: 'denied' }).rejects(
      Object.assign(new Error('no'), { name: 'AccessDenied' }),
    );

    // Act
    const [gone, denied] = await Promise.all([
      store.get('gone'),
      store.get('denied').catch((error: unknown) => error),
    ]);

    // Assess
    expect(gone).toBeUndefined();
    expect((denied as Error).name).toBe('AccessDenied');
  });
});

describe('expiryClassOf', () => {
  it('picks the fewest days past the TTL plus 3 days, the longest when unknown or beyond', () => {
    // Prepare
    const inDays = (days: number) => NOW / 1000 + days * DAY;

    // Act
    const classes = [
      inDays(1),
      inDays(4),
      inDays(5),
      inDays(30),
      inDays(395),
      inDays(4015),
      inDays(9000),
    ].map((expiresAt) => expiryClassOf(expiresAt, NOW));

    // Assess
    expect(classes).toEqual([7, 7, 14, 35, 400, 4020, 4020]);
    expect(expiryClassOf(undefined, NOW)).toBe(PAYLOAD_EXPIRY_DAYS.at(-1));
  });
});
