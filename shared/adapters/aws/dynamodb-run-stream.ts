import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  type Image,
  type ItemChange,
  type NodeEventLevel,
  nodeEventStatuses,
  RUN_EVENT_STATUSES,
  waitingPublishedAt,
} from '../../monitor/events.ts';
import type { Clock } from '../../ports/clock.ts';
import { itemKindOf, NODE_SK_PREFIX, RUN_SK } from './dynamodb-run-items.ts';

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

/** A Lambda event filter pattern (EventBridge syntax) over a stream record. */
export type StreamFilterPattern = Readonly<Record<string, unknown>>;

/**
 * The filter criteria of the monitor's event source mapping: only records that can make a
 * published event invoke the monitor (Lambda does not bill the records it filters out). Run items:
 * insertion, a change to PAUSED or an ended status, or a change from PAUSED; node items: a change
 * to one of the statuses of the node-event level (none with `none`), and, unless `none`, a change
 * to WAITING that holds a completion token (a callback's `node.waiting`). Done-sets, inputs,
 * idempotency and slot items, TTL removals and every other write are left out.
 * @example monitorStreamFilters('failures').length // 5
 */
export function monitorStreamFilters(level: NodeEventLevel): StreamFilterPattern[] {
  const run = { Keys: { sk: { S: [RUN_SK] } } };
  const patterns: StreamFilterPattern[] = [
    { eventName: ['INSERT'], dynamodb: run },
    { eventName: ['MODIFY'], dynamodb: { ...run, NewImage: { status: { S: [...RUN_EVENT_STATUSES] } } } },
    { eventName: ['MODIFY'], dynamodb: { ...run, OldImage: { status: { S: ['PAUSED'] } } } },
  ];
  const node = { Keys: { sk: { S: [{ prefix: NODE_SK_PREFIX }] } } };
  const statuses = nodeEventStatuses(level);
  if (statuses.length > 0) {
    patterns.push({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { ...node, NewImage: { status: { S: [...statuses] } } },
    });
  }
  if (waitingPublishedAt(level)) {
    // A callback's wait (it holds a token), not a `wait` node's.
    const NewImage = { status: { S: ['WAITING'] }, completionToken: { S: [{ exists: true }] } };
    patterns.push({ eventName: ['MODIFY'], dynamodb: { ...node, NewImage } });
  }
  return patterns;
}

/**
 * Whether a record passes any of the patterns, as Lambda's event filtering decides for the forms
 * `monitorStreamFilters` uses (lists of exact strings, `{prefix}` and `{exists: true}`); any other form throws, so a
 * new form cannot be tested as if it matched. For the local stream source and the cost benchmark.
 */
export function passesStreamFilters(
  record: DynamoDBRecord,
  patterns: readonly StreamFilterPattern[],
): boolean {
  return patterns.some((pattern) => matches(record, pattern));
}

function matches(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((rule) => matchesRule(value, rule));
  if (typeof pattern !== 'object' || pattern === null)
    throw new Error(`unsupported filter pattern ${JSON.stringify(pattern)}`);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) =>
    matches((value as Record<string, unknown>)[key], inner),
  );
}

function matchesRule(value: unknown, rule: unknown): boolean {
  if (typeof rule === 'string') return value === rule;
  if (
    typeof rule === 'object' &&
    rule !== null &&
    typeof (rule as { prefix?: unknown }).prefix === 'string'
  ) {
    return typeof value === 'string' && value.startsWith((rule as { prefix: string }).prefix);
  }
  // Reached only when the attribute's type key is there (`matches` stops at a missing map).
  if (typeof rule === 'object' && rule !== null && (rule as { exists?: unknown }).exists === true) {
    return value !== undefined;
  }
  throw new Error(`unsupported filter rule ${JSON.stringify(rule)}`);
}
