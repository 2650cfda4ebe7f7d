import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  type StreamSpecification,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type DynamoDbStreamSource,
  StreamBatchSkippedError,
  type StreamSourceOptions,
  startDynamoDbStreamSource,
} from '../../functions/local/dynamodb-stream-source.ts';
import { localDynamo } from '../setup/dynamo.ts';

const dynamo = localDynamo();
const tables: string[] = [];
const sources: DynamoDbStreamSource[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});
afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamo.client.send(new DeleteTableCommand({ TableName }))));
});

const WITH_STREAM: StreamSpecification = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' };

async function createTable(withStream = true) {
  const TableName = `stream-source-${randomUUID().slice(0, 8)}`;
  await dynamo.client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: withStream ? WITH_STREAM : undefined,
    }),
  );
  tables.push(TableName);
  return TableName;
}

const put = (TableName: string, pk: string, v = 1) =>
  dynamo.client.send(new PutItemCommand({ TableName, Item: { pk: { S: pk }, v: { N: String(v) } } }));

/** A handler that records every event, answering with `respond` (call number from 1). */
function recorder(
  respond: (call: number, event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>,
) {
  const events: DynamoDBStreamEvent[] = [];
  const handler = async (event: DynamoDBStreamEvent) => {
    events.push(event);
    return respond(events.length, event);
  };
  const keys = () => events.map((event) => event.Records.map((record) => record.dynamodb?.Keys?.pk?.S));
  return { events, handler, keys };
}

async function start(options: StreamSourceOptions) {
  const source = await startDynamoDbStreamSource({ pollIntervalMs: 20, ...options });
  sources.push(source);
  return source;
}

describe('startDynamoDbStreamSource', () => {
  it('delivers INSERT, MODIFY and REMOVE in order, in the shape Lambda uses', async () => {
    // Prepare
    const tableName = await createTable();
    const { events, handler } = recorder(async () => undefined);
    const source = await start({ endpoint: dynamo.endpoint, tableName, handler });
    const before = Math.floor(Date.now() / 1000);

    // Act
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'a' }, v: { N: '1' }, b: { B: Buffer.from('hi') } },
      }),
    );
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { N: '2' } },
      }),
    );
    await dynamo.client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'a' } } }));
    await source.caughtUp();

    // Assess
    const records = events.flatMap((event) => event.Records);
    expect(records.map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [insert, modify, remove] = records;
    expect(insert).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'local',
      eventSourceARN: source.streamArn,
      dynamodb: {
        Keys: { pk: { S: 'a' } },
        NewImage: { pk: { S: 'a' }, v: { N: '1' }, b: { B: Buffer.from('hi').toString('base64') } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(insert?.dynamodb?.OldImage).toBeUndefined();
    expect(modify?.dynamodb).toMatchObject({ OldImage: { v: { N: '1' } }, NewImage: { v: { N: '2' } } });
    expect(remove?.dynamodb?.NewImage).toBeUndefined();
    expect(remove?.dynamodb?.OldImage).toMatchObject({ v: { N: '2' } });
    // DynamoDB Local rounds the creation time down to the minute.
    expect(insert?.dynamodb?.ApproximateCreationDateTime).toBeGreaterThan(before - 61);
    expect(insert?.dynamodb?.ApproximateCreationDateTime).toBeLessThanOrEqual(before + 1);
    expect(insert?.dynamodb?.SizeBytes).toBeGreaterThan(0);
    expect(new Set(records.map((record) => record.eventID)).size).toBe(3);
  });

  it('starts at LATEST by default and at the oldest record with TRIM_HORIZON', async () => {
    // Prepare
    const tableName = await createTable();
    await put(tableName, 'old');
    const latest = recorder(async () => undefined);
    const horizon = recorder(async () => undefined);
    const fromLatest = await start({ endpoint: dynamo.endpoint, tableName, handler: latest.handler });
    const fromHorizon = await start({
      endpoint: dynamo.endpoint,
      tableName,
      handler: horizon.handler,
      startingPosition: 'TRIM_HORIZON',
    });

    // Act
    await put(tableName, 'new');
    await Promise.all([fromLatest.caughtUp(), fromHorizon.caughtUp()]);

    // Assess
    expect(latest.keys().flat()).toEqual(['new']);
    expect(horizon.keys().flat()).toEqual(['old', 'new']);
  });

  it('puts at most batchSize records in one event', async () => {
    // Prepare
    const tableName = await createTable();
    for (const pk of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await put(tableName, pk);
    const { handler, keys } = recorder(async () => undefined);

    // Act
    const source = await start({
      endpoint: dynamo.endpoint,
      tableName,
      handler,
      batchSize: 3,
      startingPosition: 'TRIM_HORIZON',
    });
    await source.caughtUp();

    // Assess
    expect(keys()).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
  });

  it('delivers a record reported in batchItemFailures again, with the records after it', async () => {
    // Prepare
    const tableName = await createTable();
    for (const pk of ['a', 'b', 'c']) await put(tableName, pk);
    const { handler, keys } = recorder(async (call, event) =>
      call === 1
        ? { batchItemFailures: [{ itemIdentifier: event.Records[1]?.dynamodb?.SequenceNumber ?? '' }] }
        : undefined,
    );

    // Act
    const source = await start({
      endpoint: dynamo.endpoint,
      tableName,
      handler,
      startingPosition: 'TRIM_HORIZON',
    });
    await source.caughtUp();
    await put(tableName, 'd');
    await source.caughtUp();

    // Assess
    expect(keys()).toEqual([['a', 'b', 'c'], ['b', 'c'], ['d']]);
  });

  it('retries a throwing handler maxRetries times, then skips the batch and calls onError', async () => {
    // Prepare
    const tableName = await createTable();
    for (const pk of ['a', 'b', 'c']) await put(tableName, pk);
    const errors: unknown[] = [];
    const { handler, keys } = recorder(async (_call, event) => {
      if (event.Records[0]?.dynamodb?.Keys?.pk?.S === 'a') throw new Error('monitor down');
      return undefined;
    });

    // Act
    const source = await start({
      endpoint: dynamo.endpoint,
      tableName,
      handler,
      batchSize: 2,
      maxRetries: 2,
      startingPosition: 'TRIM_HORIZON',
      onError: (error) => errors.push(error),
    });
    await source.caughtUp();

    // Assess
    expect(keys()).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['c']]);
    expect(errors).toHaveLength(1);
    const skipped = errors[0] as StreamBatchSkippedError;
    expect(skipped).toBeInstanceOf(StreamBatchSkippedError);
    expect(skipped.attempts).toBe(3);
    expect(skipped.records.map((record) => record.dynamodb?.Keys?.pk?.S)).toEqual(['a', 'b']);
    expect(skipped.message).toMatch(/Skipped 2 stream record\(s\).*monitor down/);
  });

  it('refuses a table without a stream, saying how to enable it', async () => {
    // Prepare
    const tableName = await createTable(false);

    // Act
    const started = startDynamoDbStreamSource({
      endpoint: dynamo.endpoint,
      tableName,
      handler: async () => {},
    });

    // Assess
    await expect(started).rejects.toThrow(
      /table "stream-source-[^"]+": it needs a stream with NEW_AND_OLD_IMAGES.*StreamSpecification: \{ StreamEnabled: true/,
    );
  });

  it('refuses a table that does not exist', async () => {
    // Act
    const started = startDynamoDbStreamSource({
      endpoint: dynamo.endpoint,
      tableName: 'no-such-table',
      handler: async () => {},
    });

    // Assess
    await expect(started).rejects.toThrow(
      'Cannot read the stream of table "no-such-table": the table does not exist',
    );
  });

  it('stop() waits for the handler in flight, and no call happens after it', async () => {
    // Prepare
    const tableName = await createTable();
    let finished = 0;
    const { events, handler } = recorder(async () => {
      await sleep(200);
      finished += 1;
      return undefined;
    });
    const source = await start({ endpoint: dynamo.endpoint, tableName, handler });
    await put(tableName, 'a');
    while (events.length === 0) await sleep(10);

    // Act
    await source.stop();
    await put(tableName, 'b');
    await sleep(200);

    // Assess
    expect(finished).toBe(1);
    expect(events).toHaveLength(1);
    await expect(source.stop()).resolves.toBeUndefined();
  });

  it('reads a parent shard before its children, and finds shards that appear later', async () => {
    // Prepare: DynamoDB Local never splits a shard within a test, so the stream API is mocked here.
    const dynamoMock = mockClient(DynamoDBClient);
    const streamsMock = mockClient(DynamoDBStreamsClient);
    try {
      dynamoMock.on(DescribeTableCommand).resolves({
        Table: { LatestStreamArn: 'arn:stream', StreamSpecification: WITH_STREAM },
      });
      const shards: Shard[] = [
        {
          ShardId: 'parent',
          SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '2' },
        },
        { ShardId: 'child', ParentShardId: 'parent', SequenceNumberRange: { StartingSequenceNumber: '3' } },
      ];
      const record = (pk: string, sequence: string) => ({
        eventID: pk,
        eventName: 'INSERT' as const,
        dynamodb: {
          Keys: { pk: { S: pk } },
          SequenceNumber: sequence,
          ApproximateCreationDateTime: new Date('2026-01-01T00:00:00Z'),
        },
      });
      streamsMock
        .on(DescribeStreamCommand)
        .callsFake(async () => ({ StreamDescription: { Shards: [...shards] } }));
      streamsMock.on(GetShardIteratorCommand).callsFake(async (input) => ({ ShardIterator: input.ShardId }));
      streamsMock.on(GetRecordsCommand).callsFake(async ({ ShardIterator }) => {
        if (ShardIterator === 'parent') {
          await sleep(50);
          // The parent closes and splits: a second child shows up only now.
          shards.push({
            ShardId: 'late',
            ParentShardId: 'parent',
            SequenceNumberRange: { StartingSequenceNumber: '5' },
          });
          return { Records: [record('p1', '1'), record('p2', '2')] };
        }
        if (ShardIterator === 'child') return { Records: [record('c1', '3')], NextShardIterator: 'end' };
        if (ShardIterator === 'late') return { Records: [record('l1', '5')], NextShardIterator: 'end' };
        return { Records: [], NextShardIterator: 'end' };
      });
      const { events, handler, keys } = recorder(async () => undefined);

      // Act
      const source = await start({
        endpoint: 'http://127.0.0.1:9',
        tableName: 'mocked',
        handler,
        startingPosition: 'TRIM_HORIZON',
      });
      await source.caughtUp();

      // Assess
      expect(keys()[0]).toEqual(['p1', 'p2']);
      expect(keys().slice(1).flat().sort()).toEqual(['c1', 'l1']);
      expect(events[0]?.Records[0]?.dynamodb?.ApproximateCreationDateTime).toBe(1767225600);
      expect(events[0]?.Records[0]?.eventSourceARN).toBe('arn:stream');
    } finally {
      await Promise.all(sources.splice(0).map((source) => source.stop()));
      dynamoMock.restore();
      streamsMock.restore();
    }
  });
});
