import { describe, expect, it } from 'vitest';
import { scriptLogWriter } from '../../../functions/composition/aws-script-logs.ts';

describe('scriptLogWriter', () => {
  it('writes each line as one structured entry with its run, node and attempt', () => {
    // Prepare
    const written: [string, Record<string, unknown>][] = [];
    const write = scriptLogWriter({
      info: (message, ...extra) => written.push([message, Object.assign({}, ...extra)]),
    });

    // Act
    write({
      tenant: 'acme',
      runId: 'r1',
      nodeId: 'transform',
      attempt: 2,
      logs: {
        lines: [
          { ts: '2026-01-01T00:00:00.000Z', level: 'warn', message: 'slow upstream' },
          { ts: '2026-01-01T00:00:01.000Z', level: 'log', message: 'done' },
        ],
        truncated: false,
      },
    });

    // Assess
    expect(written).toEqual([
      [
        'script.log',
        {
          tenant: 'acme',
          runId: 'r1',
          nodeId: 'transform',
          attempt: 2,
          scriptLevel: 'warn',
          scriptTs: '2026-01-01T00:00:00.000Z',
          scriptMessage: 'slow upstream',
        },
      ],
      [
        'script.log',
        {
          tenant: 'acme',
          runId: 'r1',
          nodeId: 'transform',
          attempt: 2,
          scriptLevel: 'log',
          scriptTs: '2026-01-01T00:00:01.000Z',
          scriptMessage: 'done',
        },
      ],
    ]);
  });
});
