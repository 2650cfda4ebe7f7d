import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Image, ItemChange } from '../../monitor/events.ts';
import type { Clock } from '../../ports/clock.ts';
import { itemKindOf } from './dynamodb-run-items.ts';

/**
 * A record of the runs table's stream as an `ItemChange` of a run or node item, its images
 * unmarshalled; undefined for the items that make no events (inputs, done-sets, idempotency and
 * slot items). The table's key layout stays in this adapter: the monitor sees kinds, not keys.
 * Throws when an image cannot be unmarshalled.
 */
export function runTableChange(record: DynamoDBRecord, clock: Clock): ItemChange | undefined {
  const data = record.dynamodb;
  const kind = itemKindOf(data?.Keys?.sk?.S ?? data?.NewImage?.sk?.S ?? data?.OldImage?.sk?.S);
  const eventName = record.eventName;
  if (kind === undefined || eventName === undefined) return undefined;
  const seconds = data?.ApproximateCreationDateTime;
  const at = new Date(seconds === undefined ? clock.now() : seconds * 1000).toISOString();
  return {
    kind,
    eventName,
    at,
    ...(data?.OldImage && { oldImage: image(data.OldImage) }),
    ...(data?.NewImage && { newImage: image(data.NewImage) }),
  };
}

const image = (attributes: object): Image => unmarshall(attributes as Record<string, AttributeValue>);
