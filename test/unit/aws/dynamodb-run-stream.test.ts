import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { runTableChange } from '../../../shared/adapters/aws/dynamodb-run-stream.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';

const clock = new FakeClock();

function record(
  sk: string,
  newImage: object,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord {
  const keys = { pk: 'R#r1', sk };
  return {
    eventID: '1',
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: 1_767_225_600,
      Keys: marshall(keys) as never,
      NewImage: marshall({ ...keys, ...newImage }) as never,
    },
  };
}

describe('runTableChange (the stream records of the runs table)', () => {
  it('tells run items from node items by their key, and leaves the key layout out of the change', () => {
    // Act
    const run = runTableChange(record('RUN', { runId: 'r1', status: 'RUNNING' }), clock);
    const node = runTableChange(record('N#a', { runId: 'r1', nodeId: 'a', status: 'RUNNING' }), clock);

    // Assess
    expect(run).toMatchObject({ kind: 'run', eventName: 'INSERT', at: '2026-01-01T00:00:00.000Z' });
    expect(node).toMatchObject({ kind: 'node', newImage: { nodeId: 'a', status: 'RUNNING' } });
  });

  it.each([
    ['the inputs item', 'IN'],
    ['a done-set item', 'E#0#0'],
    ['an idempotency item', 'KEY'],
  ])('makes no change of %s', (_what, sk) => {
    expect(runTableChange(record(sk, { body: 'H4sI' }, 'MODIFY'), clock)).toBeUndefined();
  });
});
