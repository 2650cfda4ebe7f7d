import { describe, expect, it } from 'vitest';
import type { AttemptLogs } from '../../shared/ports/attempt-logs.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { EXPIRES, newId } from './run-fixtures.ts';

const logsOf = (...messages: string[]): AttemptLogs => ({
  lines: messages.map((message, index) => ({
    ts: `2026-01-01T00:00:0${index}.000Z`,
    level: index === 0 ? 'log' : 'warn',
    message,
  })),
  truncated: false,
});

/** Part of the RunStore contract (`run-store.contract.ts`): script logs, one item per attempt. */
export function describeLogsContract(makeStore: () => Promise<RunStore>) {
  describe('script logs', () => {
    it('returns the lines stored for each attempt, and nothing for an attempt that printed nothing', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();

      // Act
      await store.putLogs(runId, 'transform', 1, logsOf('first try', 'ünïcode ✓ 🚀'), EXPIRES);
      await store.putLogs(runId, 'transform', 2, logsOf('second try'), EXPIRES);

      // Assess
      expect(await store.getLogs(runId, 'transform', 1)).toEqual(logsOf('first try', 'ünïcode ✓ 🚀'));
      expect(await store.getLogs(runId, 'transform', 2)).toEqual(logsOf('second try'));
      expect(await store.getLogs(runId, 'transform', 3)).toBeUndefined();
      expect(await store.getLogs(runId, 'other', 1)).toBeUndefined();
    });

    it('replaces the lines of an attempt run again (a hand-back) and keeps the truncation mark', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.putLogs(runId, 'a', 1, logsOf('handed back'), EXPIRES);

      // Act
      await store.putLogs(runId, 'a', 1, { ...logsOf('x'.repeat(60_000), 'cut'), truncated: true }, EXPIRES);

      // Assess
      expect(await store.getLogs(runId, 'a', 1)).toEqual({
        ...logsOf('x'.repeat(60_000), 'cut'),
        truncated: true,
      });
    });

    it('keeps log items out of the node listings', async () => {
      // Prepare
      const store = await makeStore();
      const runId = newId();
      await store.updateNode(runId, 'a', { status: ['ABSENT'] }, { set: { status: 'READY' } }, EXPIRES);

      // Act
      await store.putLogs(runId, 'a', 1, logsOf('hello'), EXPIRES);

      // Assess
      expect((await store.listNodes(runId)).map((node) => node.nodeId)).toEqual(['a']);
      expect((await store.getNode(runId, 'a'))?.status).toBe('READY');
    });
  });
}
