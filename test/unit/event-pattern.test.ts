/**
 * The event-pattern table: patterns × events with the outcome the EventBridge documentation gives
 * ("Event patterns", "Content filtering in Amazon EventBridge event patterns"). The local mode and
 * the AWS trigger handler both match with `matchesEventPattern`, so this table is what both do.
 */
import { describe, expect, it } from 'vitest';
import { matchesEventPattern, parseEventPattern } from '../../shared/domain/event-pattern.ts';

/** The documentation's EC2 state-change sample, with content-filtering fields added to its detail. */
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: [
    'arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0',
    'arn:aws:ec2:us-west-1:123456789012:volume/vol-0a1b',
  ],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'x-limit': 301.8,
    location: 'us-east-1',
    filename: 'image.PNG',
    eventName: 'CreateBucket',
    tags: ['blue', 'prod'],
    owner: null,
    enabled: true,
    nested: { level: { deep: 'yes' } },
    items: [
      { sku: 'a-1', qty: 2 },
      { sku: 'b-2', qty: 9 },
    ],
  },
};

const table: ReadonlyArray<readonly [string, Record<string, unknown>, boolean]> = [
  // Exact values: a list is "any of"; strings are case-sensitive; every named field must match.
  ['source exact', { source: ['aws.ec2'] }, true],
  ['source any of', { source: ['aws.s3', 'aws.ec2'] }, true],
  ['source other', { source: ['aws.s3'] }, false],
  ['case-sensitive', { source: ['AWS.EC2'] }, false],
  ['every field must match (AND)', { source: ['aws.ec2'], 'detail-type': ['Other'] }, false],
  ['two fields match', { source: ['aws.ec2'], detail: { state: ['terminated', 'stopped'] } }, true],
  ['a field the event lacks', { detail: { colour: ['red'] } }, false],
  ['a number equals a number', { detail: { 'c-count': [5] } }, true],
  ['a number never equals its string', { detail: { 'c-count': ['5'] } }, false],
  ['a string never equals a number', { detail: { state: [5] } }, false],
  ['null matches a null value', { detail: { owner: [null] } }, true],
  ['null does not match a missing field', { detail: { missing: [null] } }, false],
  ['a boolean', { detail: { enabled: [true] } }, true],
  ['a boolean that differs', { detail: { enabled: [false] } }, false],
  ['nested objects', { detail: { nested: { level: { deep: ['yes'] } } } }, true],
  ['nested objects, other value', { detail: { nested: { level: { deep: ['no'] } } } }, false],
  // Arrays in the event: any element.
  [
    'an array field matches when one element does',
    { resources: ['arn:aws:ec2:us-west-1:123456789012:volume/vol-0a1b'] },
    true,
  ],
  ['an array field, no element matches', { detail: { tags: ['green'] } }, false],
  ['array of objects: one element matches all', { detail: { items: { sku: ['b-2'], qty: [9] } } }, true],
  ['array of objects: no one element matches all', { detail: { items: { sku: ['a-1'], qty: [9] } } }, false],
  // Prefix, suffix, equals-ignore-case, wildcard.
  ['prefix', { detail: { location: [{ prefix: 'us-' }] } }, true],
  ['prefix that differs', { detail: { location: [{ prefix: 'eu-' }] } }, false],
  [
    'prefix on an array field',
    { resources: [{ prefix: 'arn:aws:ec2:us-west-1:123456789012:volume/' }] },
    true,
  ],
  [
    'prefix ignoring case',
    { detail: { eventName: [{ prefix: { 'equals-ignore-case': 'createb' } }] } },
    true,
  ],
  ['suffix', { detail: { filename: [{ suffix: '.PNG' }] } }, true],
  ['suffix is case-sensitive', { detail: { filename: [{ suffix: '.png' }] } }, false],
  ['suffix ignoring case', { detail: { filename: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, true],
  ['equals-ignore-case', { detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } }, true],
  ['equals-ignore-case, other value', { detail: { state: [{ 'equals-ignore-case': 'running' }] } }, false],
  ['prefix never matches a number', { detail: { 'c-count': [{ prefix: '5' }] } }, false],
  ['wildcard', { detail: { filename: [{ wildcard: 'image.*' }] } }, true],
  ['wildcard in the middle', { resources: [{ wildcard: 'arn:aws:ec2:*:instance/*' }] }, true],
  ['wildcard that does not match', { detail: { filename: [{ wildcard: '*.jpg' }] } }, false],
  // Anything-but.
  ['anything-but a value', { detail: { state: [{ 'anything-but': 'running' }] } }, true],
  ['anything-but the value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
  ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
  ['anything-but numbers', { detail: { 'c-count': [{ 'anything-but': [1, 2, 3] }] } }, true],
  ['anything-but a prefix', { detail: { location: [{ 'anything-but': { prefix: 'eu-' } }] } }, true],
  ['anything-but the prefix', { detail: { location: [{ 'anything-but': { prefix: 'us-' } }] } }, false],
  ['anything-but a suffix', { detail: { filename: [{ 'anything-but': { suffix: '.PNG' } }] } }, false],
  [
    'anything-but ignoring case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Terminated', 'x'] } }] } },
    false,
  ],
  ['anything-but does not match a missing field', { detail: { colour: [{ 'anything-but': 'red' }] } }, false],
  // Numeric.
  ['numeric >', { detail: { 'c-count': [{ numeric: ['>', 0] }] } }, true],
  ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
  ['numeric range excluding', { detail: { 'c-count': [{ numeric: ['>', 0, '<', 5] }] } }, false],
  ['numeric =', { detail: { 'x-limit': [{ numeric: ['=', 301.8] }] } }, true],
  ['numeric >= on a decimal', { detail: { 'x-limit': [{ numeric: ['>=', 302] }] } }, false],
  ['numeric never matches a string', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
  // Exists.
  ['exists true', { detail: { state: [{ exists: true }] } }, true],
  ['exists true on a missing field', { detail: { colour: [{ exists: true }] } }, false],
  ['exists false on a missing field', { detail: { colour: [{ exists: false }] } }, true],
  ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
  ['exists false when the parent is missing too', { other: { colour: [{ exists: false }] } }, true],
  ['a value or a missing field', { detail: { colour: ['red', { exists: false }] } }, true],
  // $or.
  ['$or: one alternative matches', { $or: [{ source: ['aws.s3'] }, { detail: { 'c-count': [5] } }] }, true],
  ['$or: none matches', { $or: [{ source: ['aws.s3'] }, { detail: { 'c-count': [6] } }] }, false],
  [
    '$or with the other fields (AND)',
    { source: ['aws.s3'], $or: [{ detail: { state: ['terminated'] } }, { region: ['us-west-1'] }] },
    false,
  ],
  [
    '$or nested in detail',
    { detail: { $or: [{ state: ['running'] }, { location: [{ prefix: 'us-' }] }] } },
    true,
  ],
];

describe('matchesEventPattern', () => {
  it.each(table)('%s', (_what, pattern, expected) => {
    // Prepare
    const parsed = parseEventPattern(pattern);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    // Act / Assess
    expect(matchesEventPattern(parsed.pattern, ec2)).toBe(expected);
  });

  it('has a table of at least 40 documented cases', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });
});

describe('parseEventPattern', () => {
  it.each([
    ['not an object', ['aws.ec2'], '$', 'JSON object'],
    ['no field', {}, '$', 'at least one field'],
    ['a bare value', { source: 'aws.ec2' }, '$.source', 'write ["aws.ec2"]'],
    ['an empty list', { source: [] }, '$.source', 'at least one value'],
    ['an unknown matcher', { source: [{ prefx: 'a' }] }, '$.source[0]', 'one of prefix, suffix'],
    [
      'two matchers in one object',
      { source: [{ prefix: 'a', suffix: 'b' }] },
      '$.source[0]',
      '{prefix, suffix}',
    ],
    ['a prefix that is not text', { source: [{ prefix: 5 }] }, '$.source[0].prefix', 'prefix:'],
    ['exists that is not a boolean', { a: [{ exists: 'yes' }] }, '$.a[0].exists', 'exists:'],
    ['a backwards numeric range', { a: [{ numeric: ['>', 5, '<', 1] }] }, '$.a[0].numeric', 'low < high'],
    ['a numeric operator that is not one', { a: [{ numeric: ['!=', 5] }] }, '$.a[0].numeric', 'numeric is'],
    ['$or with one pattern', { $or: [{ a: ['x'] }] }, '$.$or', 'at least two'],
    ['a bad pattern in $or', { $or: [{ a: ['x'] }, { b: 'y' }] }, '$.$or[1].b', 'write ["y"]'],
    ['an array value', { detail: { a: [[1]] } }, '$.detail.a[0]', 'a value is'],
  ])('refuses %s at its JSON path', (_what, pattern, path, message) => {
    // Act
    const parsed = parseEventPattern(pattern);
    // Assess
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems[0]).toMatchObject({ code: 'SCHEMA', path });
    expect(problems[0]?.message).toContain(message);
  });

  it('reports paths under a base, for a trigger body', () => {
    // Act
    const parsed = parseEventPattern({ source: 'x' }, ['pattern']);
    // Assess
    expect(parsed).toEqual({
      ok: false,
      problems: [
        { code: 'SCHEMA', message: `a field's values are a list: write ["x"]`, path: '$.pattern.source' },
      ],
    });
  });
});
