import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  monitorStreamFilters,
  passesStreamFilters,
  runTableChange,
} from '../../../shared/adapters/aws/dynamodb-run-stream.ts';
import {
  DEFAULT_NODE_EVENTS,
  eventsOf,
  NODE_EVENT_LEVELS,
  type NodeEventLevel,
  publishedAt,
} from '../../../shared/monitor/events.ts';
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

/** A stream record of the runs table with both images, as Lambda delivers it. */
function change(
  sk: string,
  eventName: DynamoDBRecord['eventName'],
  oldImage: object | undefined,
  newImage: object | undefined,
): DynamoDBRecord {
  const keys = { pk: 'R#r1', sk };
  return {
    eventID: `${sk}-${eventName}`,
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: 1_767_225_600,
      Keys: marshall(keys) as never,
      ...(oldImage && { OldImage: marshall({ ...keys, ...oldImage }) as never }),
      ...(newImage && { NewImage: marshall({ ...keys, ...newImage }) as never }),
    },
  };
}

const run = (status: string, extra: object = {}) => ({
  runId: 'r1',
  tenant: 't',
  workflow: 'w',
  status,
  ...extra,
});
const node = (status: string, attempt = 1) => ({ runId: 'r1', nodeId: 'a', status, attempt });
const callback = (status: string, completionToken?: string) => ({
  ...node(status),
  completionTokenHash: 'ab12',
  ...(completionToken && { completionToken }),
});

/** Every kind of write the engine makes to the runs table, with and without an event. */
const CORPUS: readonly [string, DynamoDBRecord][] = [
  ['run inserted', change('RUN', 'INSERT', undefined, run('RUNNING'))],
  ['run inserted QUEUED', change('RUN', 'INSERT', undefined, run('QUEUED'))],
  ['run succeeded', change('RUN', 'MODIFY', run('RUNNING'), run('SUCCEEDED'))],
  ['run failed', change('RUN', 'MODIFY', run('RUNNING'), run('FAILED'))],
  ['run cancelled', change('RUN', 'MODIFY', run('PAUSED'), run('CANCELLED'))],
  ['run timed out', change('RUN', 'MODIFY', run('RUNNING'), run('TIMED_OUT'))],
  ['run paused', change('RUN', 'MODIFY', run('RUNNING'), run('PAUSED'))],
  ['run resumed', change('RUN', 'MODIFY', run('PAUSED'), run('RUNNING'))],
  ['run progress marked', change('RUN', 'MODIFY', run('RUNNING'), run('RUNNING', { progressAt: 'x' }))],
  ['run reopened by retry', change('RUN', 'MODIFY', run('FAILED'), run('QUEUED'))],
  ['run expired (TTL)', change('RUN', 'REMOVE', run('SUCCEEDED'), undefined)],
  ['node claimed', change('N#a', 'INSERT', undefined, node('RUNNING'))],
  ['node claimed again', change('N#a', 'MODIFY', node('RETRY_WAIT'), node('RUNNING', 2))],
  ['node made READY', change('N#a', 'MODIFY', node('PENDING'), node('READY'))],
  ['node succeeded', change('N#a', 'MODIFY', node('RUNNING'), node('SUCCEEDED'))],
  ['node failed', change('N#a', 'MODIFY', node('RUNNING'), node('FAILED'))],
  ['node retrying', change('N#a', 'MODIFY', node('RUNNING'), node('RETRY_WAIT'))],
  ['node skipped', change('N#a', 'MODIFY', node('RUNNING'), node('SKIPPED'))],
  ['node cancelled', change('N#a', 'MODIFY', node('READY'), node('CANCELLED'))],
  ['node parked', change('N#a', 'MODIFY', node('READY'), node('PARKED'))],
  ['wait node waiting', change('N#a', 'MODIFY', node('RUNNING'), node('WAITING'))],
  ['callback waiting', change('N#a', 'MODIFY', node('RUNNING'), callback('WAITING', 'tok'))],
  ['callback completed', change('N#a', 'MODIFY', callback('WAITING', 'tok'), callback('WAITING'))],
  ['callback heartbeat', change('N#a', 'MODIFY', callback('WAITING', 'tok'), callback('WAITING', 'tok'))],
  ['node expired (TTL)', change('N#a', 'REMOVE', node('SUCCEEDED'), undefined)],
  ['inputs written', change('IN', 'INSERT', undefined, { body: 'H4sI' })],
  ['done-set grown', change('E#0#0', 'MODIFY', { n: 1 }, { n: 2 })],
];

describe('monitorStreamFilters (the monitor mapping’s filter criteria)', () => {
  const eventsAt = (level: NodeEventLevel, record: DynamoDBRecord) => {
    const item = runTableChange(record, clock);
    return item === undefined ? [] : eventsOf(item).filter((event) => publishedAt(level, event.type));
  };

  it.each(NODE_EVENT_LEVELS)('lets through every write that makes a published event at "%s"', (level) => {
    // Arrange
    const filters = monitorStreamFilters(level);

    // Act
    const dropped = CORPUS.filter(
      ([, record]) => eventsAt(level, record).length > 0 && !passesStreamFilters(record, filters),
    ).map(([what]) => what);

    // Assess
    expect(dropped).toEqual([]);
  });

  it('keeps successful nodes, inputs, done-sets and TTL removals from invoking the monitor by default', () => {
    // Arrange
    const filters = monitorStreamFilters(DEFAULT_NODE_EVENTS);

    // Act
    const passed = CORPUS.filter(([, record]) => passesStreamFilters(record, filters)).map(([what]) => what);

    // Assess: each passing record is a run event or a failure; nothing else costs an invocation
    expect(DEFAULT_NODE_EVENTS).toBe('failures');
    expect(passed).toEqual([
      'run inserted',
      'run inserted QUEUED',
      'run succeeded',
      'run failed',
      'run cancelled',
      'run timed out',
      'run paused',
      'run resumed',
      'node failed',
      'node retrying',
      'callback waiting',
      'callback heartbeat',
    ]);
  });

  it('publishes a callback’s wait with its token, and neither a wait node’s nor a heartbeat', () => {
    // Act
    const events = CORPUS.flatMap(([what, record]) =>
      what.includes('waiting') || what.startsWith('callback')
        ? eventsAt('failures', record).map((event) => [what, event.type, event.token])
        : [],
    );

    // Assess
    expect(events).toEqual([['callback waiting', 'node.waiting', 'tok']]);
  });

  it('lets no node write through at "none" and every node transition with an event at "all"', () => {
    const passing = (level: NodeEventLevel) =>
      CORPUS.filter(
        ([what, record]) =>
          what.startsWith('node') && passesStreamFilters(record, monitorStreamFilters(level)),
      ).map(([what]) => what);
    expect(passing('none')).toEqual([]);
    expect(passing('all')).toEqual([
      'node claimed',
      'node claimed again',
      'node succeeded',
      'node failed',
      'node retrying',
      'node skipped',
    ]);
  });

  it('refuses to judge a filter form it does not implement', () => {
    const record = CORPUS[0]?.[1] as DynamoDBRecord;
    expect(() => passesStreamFilters(record, [{ eventName: [{ 'anything-but': 'REMOVE' }] }])).toThrow(
      /unsupported filter rule/,
    );
  });
});
