import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { NodeEventLevel } from '../../monitor/events.ts';
import type { NodeRecord, RunRecord } from '../../ports/run-store.ts';
import { nodeKey, runItem, storedNodeField } from '../aws/dynamodb-run-items.ts';
import {
  monitorStreamFilters,
  passesStreamFilters,
  type StreamFilterPattern,
} from '../aws/dynamodb-run-stream.ts';
import type { SqliteDatabase } from './database.ts';

/** What the SQLite run store writes to its outbox: the monitor's node-event level, or nothing. */
export type ChangeFeedLevel = NodeEventLevel | 'off';

/** The outbox's name for the records' `eventSourceARN`. */
export const OUTBOX_SOURCE = 'sqlite:outbox';

/**
 * The change feed of the SQLite run store: for each run or node write that a DynamoDB stream
 * would carry and the monitor mapping's filter (`monitorStreamFilters(level)`) lets through, one
 * row in the `outbox` table, written by the caller inside the write's own transaction, so the
 * feed holds exactly the committed changes, in commit order. Rows hold the DynamoDB stream record
 * (NEW_AND_OLD_IMAGES, images in the runs table's item shape) without its sequence number, which
 * is the row's `seq` (`toStreamRecord`).
 */
export class SqliteChangeFeed {
  private readonly filters: StreamFilterPattern[];
  /** Node statuses a node write must have (new image) to pass any filter: a cheap pre-check. */
  private readonly nodeStatuses: Set<string>;
  /** Told after each appended row (a local stream source wakes on it). */
  onAppend?: () => void;

  constructor(
    private readonly sqlite: SqliteDatabase,
    readonly level: ChangeFeedLevel,
    private readonly nowMs: () => number,
  ) {
    this.filters = level === 'off' ? [] : monitorStreamFilters(level);
    this.nodeStatuses = new Set(
      this.filters.flatMap((pattern) => statusesOf(pattern as { dynamodb?: unknown })),
    );
  }

  /** A run item written (inserted when `before` is undefined). Call inside the write's transaction. */
  run(before: RunRecord | undefined, after: RunRecord): void {
    if (this.level === 'off') return;
    const item = runItem(after);
    this.append({ pk: item.pk, sk: item.sk }, before && runItem(before), item);
  }

  /** A node item written (inserted when `before` is undefined). Call inside the write's transaction. */
  node(before: NodeRecord | undefined, after: NodeRecord): void {
    if (this.level === 'off' || after.status === undefined || !this.nodeStatuses.has(after.status)) return;
    const key = nodeKey(after.runId, after.nodeId);
    this.append(key, before && nodeItem(key, before), nodeItem(key, after));
  }

  private append(key: Record<string, unknown>, oldItem: object | undefined, newItem: object): void {
    const options = { removeUndefinedValues: true, convertClassInstanceToMap: true };
    const NewImage = marshall(newItem, options) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];
    const record: DynamoDBRecord = {
      eventName: oldItem ? 'MODIFY' : 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'local',
      eventSourceARN: OUTBOX_SOURCE,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(this.nowMs() / 1000),
        Keys: marshall(key) as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
        NewImage,
        ...(oldItem && {
          OldImage: marshall(oldItem, options) as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'],
        }),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    if (!passesStreamFilters(record, this.filters)) return;
    this.sqlite.statement('INSERT INTO outbox (record) VALUES (?)').run(JSON.stringify(record));
    this.onAppend?.();
  }
}

/** An outbox row as the record Lambda would deliver: its `seq` is the sequence number and event id. */
export function toStreamRecord(seq: number, text: string): DynamoDBRecord {
  const record = JSON.parse(text) as DynamoDBRecord;
  const SequenceNumber = String(seq).padStart(21, '0');
  return {
    ...record,
    eventID: SequenceNumber,
    dynamodb: { ...record.dynamodb, SequenceNumber, SizeBytes: text.length },
  };
}

/** A node as the DynamoDB adapter stores it: JSON-text values, string sets (absent when empty). */
function nodeItem(key: { pk: string; sk: string }, node: NodeRecord): Record<string, unknown> {
  const item: Record<string, unknown> = { ...key };
  for (const [field, value] of Object.entries(node)) {
    if (value === undefined) continue;
    if (field === 'arrived' || field === 'failedParents' || field === 'skippedParents') {
      if ((value as string[]).length > 0) item[field] = new Set(value as string[]);
    } else if (field === 'output' || field === 'completion') {
      item[storedNodeField(field)] = JSON.stringify(value);
    } else if (field === 'item') {
      item.itemJson = JSON.stringify(value);
    } else {
      item[field] = value;
    }
  }
  return item;
}

/** The node statuses a filter pattern of node items accepts (none for a run item's pattern). */
function statusesOf(pattern: { dynamodb?: unknown }): string[] {
  const dynamodb = pattern.dynamodb as
    | { Keys?: { sk?: { S?: unknown[] } }; NewImage?: { status?: { S?: unknown[] } } }
    | undefined;
  const prefix = dynamodb?.Keys?.sk?.S?.[0];
  if (typeof prefix !== 'object') return [];
  return (dynamodb?.NewImage?.status?.S ?? []).filter((s): s is string => typeof s === 'string');
}

/**
 * A reader of the outbox with its checkpoint kept in the same database (`outbox_readers`), so a
 * restarted reader goes on after the last batch it finished: records are delivered at least once,
 * in commit order. Rows every reader has passed are deleted.
 * @example const reader = new OutboxReader(store.sqlite, 'monitor'); const batch = reader.next(100);
 */
export class OutboxReader {
  constructor(
    private readonly sqlite: SqliteDatabase,
    readonly name: string,
  ) {
    sqlite.statement('INSERT OR IGNORE INTO outbox_readers (reader, seq) VALUES (?, 0)').run(name);
  }

  /** The next `limit` records after the checkpoint, oldest first (empty when caught up). */
  next(limit: number): DynamoDBRecord[] {
    const rows = this.sqlite
      .statement(
        'SELECT seq, record FROM outbox WHERE seq > (SELECT seq FROM outbox_readers WHERE reader = ?) ORDER BY seq LIMIT ?',
      )
      .all(this.name, limit) as { seq: number; record: string }[];
    return rows.map((row) => toStreamRecord(row.seq, row.record));
  }

  /** Moves the checkpoint to `record` (one `next` returned) and deletes rows every reader has passed. */
  done(record: DynamoDBRecord): void {
    const seq = Number(record.dynamodb?.SequenceNumber);
    this.sqlite.db.transaction(() => {
      this.sqlite
        .statement('UPDATE outbox_readers SET seq = max(seq, ?) WHERE reader = ?')
        .run(seq, this.name);
      this.sqlite.statement('DELETE FROM outbox WHERE seq <= (SELECT min(seq) FROM outbox_readers)').run();
    })();
  }
}
