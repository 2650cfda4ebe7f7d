/**
 * Script logs of `DynamoDbRunStore`: one item per attempt that printed (`R#<runId>` /
 * `L#<nodeId>#<attempt, zero-padded>`), `body` the logs as gzipped JSON (B) and the run's TTL. Apart from the node item, so a completion writes the same bytes whether or not its
 * script printed; log lines compress well (a 64 KB attempt is a few KB, a few write units).
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AttemptLogs } from '../../ports/attempt-logs.ts';
import type { RunStoreLogs } from '../../ports/run-store.ts';
import type { Key } from './dynamodb-run-items.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The sort key's prefix of a log item; not a node's (`N#`) nor an item's (`M#`): listings skip it. */
export const LOG_SK_PREFIX = 'L#';
export const logsKey = (runId: string, nodeId: string, attempt: number): Key => ({
  pk: `R#${runId}`,
  sk: `${LOG_SK_PREFIX}${nodeId}#${String(attempt).padStart(6, '0')}`,
});

export class DynamoDbLogs implements RunStoreLogs {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putLogs(runId: string, nodeId: string, attempt: number, logs: AttemptLogs, expiresAt: number) {
    // The whole value, as given: the offloading store may hand a payload reference instead.
    const body = await gzipAsync(JSON.stringify(logs));
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...logsKey(runId, nodeId, attempt), body, expiresAt },
      }),
    );
  }

  async getLogs(runId: string, nodeId: string, attempt: number): Promise<AttemptLogs | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: logsKey(runId, nodeId, attempt),
        ConsistentRead: true,
      }),
    );
    if (item?.body === undefined) return undefined;
    return JSON.parse((await gunzipAsync(item.body as Uint8Array)).toString('utf8')) as AttemptLogs;
  }
}
