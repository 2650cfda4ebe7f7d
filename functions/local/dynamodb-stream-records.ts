import type {
  AttributeValue as SdkAttributeValue,
  _Record as SdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';

/** The SDK's record in the shape Lambda delivers (JSON: base64 binaries, seconds since the epoch). */
export function toLambdaRecord(record: SdkRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime as Date | number | string | undefined;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'local',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(created !== undefined && { ApproximateCreationDateTime: toSeconds(created) }),
      ...(d.Keys && { Keys: toImage(d.Keys) }),
      ...(d.NewImage && { NewImage: toImage(d.NewImage) }),
      ...(d.OldImage && { OldImage: toImage(d.OldImage) }),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    ...(record.userIdentity && { userIdentity: { ...record.userIdentity } }),
  };
}

function toSeconds(value: Date | number | string): number {
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (typeof value === 'string') return Math.floor(Date.parse(value) / 1000);
  return value > 1e11 ? Math.floor(value / 1000) : value; // milliseconds, or already seconds
}

function toImage(image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toAttribute(value)]));
}

function toAttribute(value: SdkAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toAttribute) };
  const { $unknown: _, ...plain } = value as SdkAttributeValue & { $unknown?: unknown };
  return plain as AttributeValue;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Index of the lowest failed record, or undefined when the whole batch succeeded. */
export function firstFailure(response: unknown, records: DynamoDBRecord[]): number | undefined {
  const failures = (response as Partial<DynamoDBBatchResponse> | undefined)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return undefined;
  let lowest = records.length;
  for (const failure of failures) {
    const itemIdentifier: unknown = failure?.itemIdentifier;
    const index = records.findIndex((r) => r.dynamodb?.SequenceNumber === itemIdentifier);
    // Lambda treats an empty or unknown identifier as a failure of the whole batch.
    if (index < 0) return 0;
    lowest = Math.min(lowest, index);
  }
  return lowest;
}
