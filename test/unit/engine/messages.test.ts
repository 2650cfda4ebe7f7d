import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeNodeMessage,
  encodeRelayMessage,
  type NodeMessage,
} from '../../../shared/engine/messages.ts';

describe('node and relay messages', () => {
  it('round-trips a node message with each outcome and without one, in a compact body', () => {
    // Prepare
    const messages: NodeMessage[] = [
      { runId: 'r1', nodeId: 'a', token: 't1' },
      { runId: 'r1', nodeId: 'b', token: 't2', via: 'SUCCEEDED' },
      { runId: 'r1', nodeId: 'c', token: 't3', via: 'FAILED' },
      { runId: 'r1', nodeId: 'd', token: 't4', via: 'SKIPPED' },
      { runId: 'r1', nodeId: 'e', token: 't5', via: 'JOIN' },
    ];

    // Act
    const bodies = messages.map(encodeNodeMessage);

    // Assess
    expect(bodies.map(decodeMessage)).toEqual(messages.map((message) => ({ kind: 'node', message })));
    expect(bodies[0]).toBe('{"r":"r1","n":"a","t":"t1"}');
    expect(bodies[2]).toBe('{"r":"r1","n":"c","t":"t3","v":"F"}');
  });

  it('round-trips a relay message wrapping a node message', () => {
    // Prepare
    const inner = encodeNodeMessage({ runId: 'r1', nodeId: 'wait', token: 't' });

    // Act
    const decoded = decodeMessage(encodeRelayMessage({ at: 1_767_225_600_000, body: inner }));

    // Assess
    expect(decoded).toEqual({ kind: 'relay', message: { at: 1_767_225_600_000, body: inner } });
  });

  it('calls any other body invalid, without throwing', () => {
    // Prepare
    const bodies = [
      '',
      'not json',
      '{"r":"r1"',
      'null',
      '42',
      '"text"',
      '[]',
      '{}',
      '{"r":"","n":"a","t":"t"}',
      '{"r":"r1","n":"a"}',
      '{"r":"r1","n":"a","t":"t","v":"X"}',
      '{"r":1,"n":"a","t":"t"}',
      '{"at":"soon","b":"x"}',
      '{"at":1}',
      '{"__proto__":{"r":"r1"}}',
    ];

    // Act
    const decoded = bodies.map((body) => decodeMessage(body));

    // Assess
    for (const result of decoded)
      expect(result).toMatchObject({ kind: 'invalid', reason: expect.any(String) });
  });
});
