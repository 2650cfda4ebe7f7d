import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { NodeEventLevel } from '../../monitor/events.ts';
import type { NodeRecord, RunRecord } from '../../ports/run-store.ts';
import { NODE_SK_PREFIX, nodeKey, RUN_SK, runItem, storedNodeField } from '../aws/dynamodb-run-items.ts';
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
 * feed holds exactly the committed changes, in commit order. A row holds the item's records
 * before and after as JSON; the reader turns it into the DynamoDB stream record
 * (NEW_AND_OLD_IMAGES, images in the runs table's item shape, `toStreamRecord`), off the write
 * path. The filter is decided at write time on the attributes the patterns test (the key, `status`
 * old and new, `completionToken`).
 */
export class SqliteChangeFeed {
  private readonly filters: StreamFilterPattern[];
  /** Node statuses a node write must have (new image) to pass any filter: a cheap pre-check. */
  private readonly nodeStatuses: Set<string>;
  /** Told after each appended row, before its commit (a local stream source wakes on it). */
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
  run(before: RunRecord | undefined, after: RunRecord, afterJson: string): void {
    if (this.level === 'off') return;
    this.append('run', RUN_SK, before, after, afterJson);
  }

  /** A node item written (inserted when `before` is undefined). Call inside the write's transaction. */
  node(before: NodeRecord | undefined, after: NodeRecord, afterJson: string): void {
    if (this.level === 'off' || after.status === undefined || !this.nodeStatuses.has(after.status)) return;
    this.append('node', `${NODE_SK_PREFIX}${after.nodeId}`, before, after, afterJson);
  }

  private append(
    kind: 'run' | 'node',
    sk: string,
    before: { status?: string } | undefined,
    after: { status?: string; completionToken?: string },
    afterJson: string,
  ): void {
    const probe = {
      eventName: before ? 'MODIFY' : 'INSERT',
      dynamodb: {
        Keys: { sk: { S: sk } },
        NewImage: attributes(after),
        ...(before && { OldImage: attributes(before) }),
      },
    } as DynamoDBRecord;
    if (!passesStreamFilters(probe, this.filters)) return;
    this.sqlite
      .statement('INSERT INTO outbox (kind, at_ms, old, new) VALUES (?, ?, ?, ?)')
      .run(kind, this.nowMs(), before ? JSON.stringify(before) : null, afterJson);
    this.onAppend?.();
  }
}

/** The attributes the monitor's filter patterns test, as a stream image holds them. */
function attributes(record: { status?: string; completionToken?: string }) {
  return {
    ...(record.status !== undefined && { status: { S: record.status } }),
    ...(record.completionToken !== undefined && { completionToken: { S: record.completionToken } }),
  };
}

/** An outbox row. */
export interface OutboxRow {
  readonly seq: number;
  readonly kind: string;
  readonly at_ms: number;
  readonly old: string | null;
  readonly new: string;
}

/** An outbox row as the record Lambda would deliver: its `seq` is the sequence number and event id. */
export function toStreamRecord(row: OutboxRow): DynamoDBRecord {
  const options = { removeUndefinedValues: true, convertClassInstanceToMap: true };
  const imageOf = (json: string) => {
    if (row.kind === 'run') return runItem(JSON.parse(json) as RunRecord);
    const node = JSON.parse(json) as NodeRecord;
    return nodeItem(nodeKey(node.runId, node.nodeId), node);
  };
  const image = (json: string) => marshall(imageOf(json), options) as Record<string, AttributeValue>;
  const NewImage = image(row.new);
  const SequenceNumber = String(row.seq).padStart(21, '0');
  return {
    eventID: SequenceNumber,
    eventName: row.old === null ? 'INSERT' : 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'local',
    eventSourceARN: OUTBOX_SOURCE,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(row.at_ms / 1000),
      Keys: { pk: NewImage.pk as AttributeValue, sk: NewImage.sk as AttributeValue },
      NewImage,
      ...(row.old !== null && { OldImage: image(row.old) }),
      SequenceNumber,
      SizeBytes: row.new.length + (row.old?.length ?? 0),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
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

  /** The next `limit` committed records after the checkpoint, oldest first (empty when caught up). */
  async next(limit: number): Promise<DynamoDBRecord[]> {
    await this.sqlite.settled();
    const rows = this.sqlite
      .statement(
        'SELECT seq, kind, at_ms, old, new FROM outbox WHERE seq > (SELECT seq FROM outbox_readers WHERE reader = ?) ORDER BY seq LIMIT ?',
      )
      .all(this.name, limit) as OutboxRow[];
    return rows.map(toStreamRecord);
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
