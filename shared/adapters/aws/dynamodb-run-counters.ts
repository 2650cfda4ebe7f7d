/**
 * RunCounters in the runs table: `T#<tenant>#W#<workflow>` / `COUNTS` (beside the workflow's
 * `SLOTS` item), one UpdateItem `ADD` per workflow per monitor batch. The stream sees these
 * writes; the monitor's filter criteria leave them out. One item per workflow takes at most 1,000
 * writes a second, which a batch of 100 records turns into far more runs a second.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SkeinEvent } from '../../ports/notifier.ts';
import {
  COUNTED_STATUSES,
  incrementsOf,
  NO_RUNS,
  type RunCounters,
  type WorkflowRunCounts,
} from '../../ports/run-counters.ts';

export interface DynamoDbRunCountersOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

const keyOf = (tenant: string, workflow: string) => ({ pk: `T#${tenant}#W#${workflow}`, sk: 'COUNTS' });

/** @example new DynamoDbRunCounters({ client: doc, tableName: 'skein-runs' }) */
export class DynamoDbRunCounters implements RunCounters {
  constructor(private readonly options: DynamoDbRunCountersOptions) {}

  async count(events: readonly SkeinEvent[]): Promise<void> {
    await Promise.all(
      [...incrementsOf(events)].map(([key, add]) => {
        const [tenant, workflow] = JSON.parse(key) as [string, string];
        const fields = Object.keys(add);
        return this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: keyOf(tenant, workflow),
            UpdateExpression: `ADD ${fields.map((_, i) => `#f${i} :v${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(fields.map((field, i) => [`#f${i}`, field])),
            ExpressionAttributeValues: Object.fromEntries(fields.map((field, i) => [`:v${i}`, add[field]])),
          }),
        );
      }),
    );
  }

  async get(tenant: string, workflow: string): Promise<WorkflowRunCounts> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: keyOf(tenant, workflow) }),
    );
    const read = (field: string) => (typeof Item?.[field] === 'number' ? (Item[field] as number) : 0);
    return {
      ...NO_RUNS,
      started: read('started'),
      ...Object.fromEntries(COUNTED_STATUSES.map((status) => [status, read(status)])),
    };
  }
}
