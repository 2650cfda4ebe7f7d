// Counts DynamoDB requests and the capacity DynamoDB (Local) reports for them, by wrapping a client.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface DynamoCounts {
  requests: Record<string, number>;
  /** Capacity units reported, by command. */
  units: Record<string, number>;
  writeUnits: number;
  readUnits: number;
}

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);
const ACCEPTS_CAPACITY = new Set([
  ...WRITES,
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

const MINIMUM_READ = new Set(['GetItemCommand', 'QueryCommand']);

interface Capacity {
  readonly CapacityUnits?: number;
}

/**
 * Adds a middleware that asks for `ReturnConsumedCapacity: TOTAL` on every request and adds up the
 * units DynamoDB reports, split into writes and reads by command, a read that found nothing at
 * DynamoDB's minimum. Counts are live: read them any time.
 * @example const counts = countDynamoDb(client); ...; counts.writeUnits
 */
export function countDynamoDb(client: DynamoDBClient): DynamoCounts {
  const counts: DynamoCounts = { requests: {}, units: {}, writeUnits: 0, readUnits: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const input = args.input as Record<string, unknown>;
      if (ACCEPTS_CAPACITY.has(command)) input.ReturnConsumedCapacity = 'TOTAL';
      counts.requests[command] = (counts.requests[command] ?? 0) + 1;
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      const reported = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
        (sum, entry) => sum + (entry.CapacityUnits ?? 0),
        0,
      );
      // DynamoDB Local reports 0 for a GetItem or Query that finds nothing; DynamoDB bills such a
      // read its minimum (half a unit eventually consistent, one strongly consistent).
      const units =
        reported === 0 && MINIMUM_READ.has(command) ? (input.ConsistentRead === true ? 1 : 0.5) : reported;
      counts.units[command] = (counts.units[command] ?? 0) + units;
      if (WRITES.has(command)) counts.writeUnits += units;
      else counts.readUnits += units;
      return result;
    },
    { step: 'initialize', name: 'skeinCountCapacity' },
  );
  return counts;
}

/** Subtracts `before` from `after`, for the counts of one measured run. */
export function diffCounts(after: DynamoCounts, before: DynamoCounts): DynamoCounts {
  const delta = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([name, count]): [string, number] => [name, count - (b[name] ?? 0)])
        .filter(([, count]) => count > 0),
    );
  return {
    requests: delta(after.requests, before.requests),
    units: delta(after.units, before.units),
    writeUnits: after.writeUnits - before.writeUnits,
    readUnits: after.readUnits - before.readUnits,
  };
}

export function snapshot(counts: DynamoCounts): DynamoCounts {
  return {
    requests: { ...counts.requests },
    units: { ...counts.units },
    writeUnits: counts.writeUnits,
    readUnits: counts.readUnits,
  };
}
