/**
 * EventLog in the runs table, next to the run: `R#<runId>` / `V#<time>#<node>#<type>#<attempt>`,
 * the event as JSON, `expiresAt` = the event's time + the retention days. In the run's partition
 * because it is read with the run and goes with it; the stream sees these puts, but the
 * monitor's filter criteria (`monitorStreamFilters`: sort key `RUN` or `N#...`) leave them out,
 * so they invoke nothing. A retried stream batch writes the same keys again: one copy.
 * Cost: one BatchWriteItem share (1 WRU, events are under 1 KB) per published event.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type EventLog, eventKeyOf, MAX_LISTED_EVENTS } from '../../ports/event-log.ts';
import type { SkeinEvent } from '../../ports/notifier.ts';
import { queryPrefix } from './query-prefix.ts';

export interface DynamoDbEventLogOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long an event is kept after its time. @default 30 */
  readonly retentionDays?: number;
}

const PREFIX = 'V#';
const BATCH = 25;

/** @example new DynamoDbEventLog({ client: doc, tableName: 'skein-runs' }) */
export class DynamoDbEventLog implements EventLog {
  constructor(private readonly options: DynamoDbEventLogOptions) {}

  async append(events: readonly SkeinEvent[]): Promise<void> {
    const days = this.options.retentionDays ?? 30;
    const unique = new Map(events.map((event) => [`${event.runId}#${eventKeyOf(event)}`, event]));
    const items = [...unique.values()].map((event) => ({
      pk: `R#${event.runId}`,
      sk: `${PREFIX}${eventKeyOf(event)}`,
      event: JSON.stringify(event),
      expiresAt: Math.floor(Date.parse(event.time) / 1000 || 0) + days * 86_400,
    }));
    for (let start = 0; start < items.length; start += BATCH) {
      let requests = items.slice(start, start + BATCH).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt === 5) throw new Error(`${requests.length} run events were not written after 5 attempts`);
        const out = await this.options.client.send(
          new BatchWriteCommand({ RequestItems: { [this.options.tableName]: requests } }),
        );
        requests = (out.UnprocessedItems?.[this.options.tableName] ?? []) as typeof requests;
      }
    }
  }

  async list(runId: string, limit = MAX_LISTED_EVENTS): Promise<SkeinEvent[]> {
    const items = await queryPrefix(this.options.client, this.options.tableName, `R#${runId}`, PREFIX, false);
    return items.slice(0, limit).map((item) => JSON.parse(String(item.event)) as SkeinEvent);
  }
}
