import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  monitorStreamFilters,
  passesStreamFilters,
} from '../../../shared/adapters/aws/dynamodb-run-stream.ts';
import { NODE_EVENT_LEVELS } from '../../../shared/monitor/events.ts';

const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', sk: string, status: string): DynamoDBRecord => ({
  eventName,
  dynamodb: {
    Keys: { pk: { S: 'R#r1' }, sk: { S: sk } },
    ...(eventName !== 'REMOVE' && {
      NewImage: { pk: { S: 'R#r1' }, sk: { S: sk }, status: { S: status }, completionToken: { S: 't' } },
    }),
    OldImage: { pk: { S: 'R#r1' }, sk: { S: sk }, status: { S: 'RUNNING' } },
  },
});

describe('the monitor mapping’s filter criteria and the items that make no event', () => {
  it.each(NODE_EVENT_LEVELS)(
    'let no map item, run-history item, done-set, input or TTL removal through at "%s"',
    (level) => {
      // Prepare
      const filters = monitorStreamFilters(level);
      const quiet = [
        record('MODIFY', 'M#fan#0', 'FAILED'),
        record('INSERT', 'M#fan#12', 'RUNNING'),
        record('MODIFY', 'M#fan#3', 'WAITING'),
        record('INSERT', 'V#2026-01-01T00:00:00.000Z##run.failed#0', 'FAILED'),
        record('MODIFY', 'E#0#0', 'FAILED'),
        record('INSERT', 'IN', 'RUNNING'),
        record('REMOVE', 'RUN', 'SUCCEEDED'),
        record('REMOVE', 'N#a', 'FAILED'),
      ];

      // Act
      const passed = quiet.filter((each) => passesStreamFilters(each, filters));

      // Assess
      expect(passed).toEqual([]);
    },
  );

  it('still lets a failed node item through (the test can fail)', () => {
    expect(passesStreamFilters(record('MODIFY', 'N#a', 'FAILED'), monitorStreamFilters('failures'))).toBe(
      true,
    );
  });
});
