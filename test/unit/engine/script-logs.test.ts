import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import type { AttemptLogs } from '../../../shared/ports/attempt-logs.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

/** A store that refuses every log write. */
class NoLogsStore extends MemoryRunStore {
  override async putLogs(
    _runId: string,
    _nodeId: string,
    _attempt: number,
    _logs: AttemptLogs,
  ): Promise<void> {
    throw new Error('logs table throttled');
  }
}

describe('script logs in the engine', () => {
  it('stores the lines of each attempt with the attempt, the failed one included', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({
      id: 'flaky',
      nodes: {
        work: {
          type: 'script',
          language: 'js',
          code: 'console.warn("try", ctx.attempt); if (ctx.attempt < 3) throw new Error("not yet"); return 1',
          retry: { maxAttempts: 3, initialDelay: '1s' },
        },
      },
    });

    // Act
    const view = await harness.run('flaky');

    // Assess
    expect(view.status).toBe('SUCCEEDED');
    for (const attempt of [1, 2, 3]) {
      const logs = await harness.runs.getLogs(view.runId, 'work', attempt);
      expect(logs?.lines.map((line) => `${line.level} ${line.message}`)).toEqual([`warn try ${attempt}`]);
    }
  });

  it('still settles the attempt when the store refuses its logs, and says so in the log', async () => {
    // Prepare
    const harness = new WorkflowHarness({ runs: new NoLogsStore() });
    await harness.publish({
      id: 'chatty',
      nodes: { work: { type: 'script', language: 'lua', code: 'print("hello") return 7' } },
    });

    // Act
    const view = await harness.run('chatty');

    // Assess
    expect(view.status).toBe('SUCCEEDED');
    expect(view.nodes.work?.output).toBe(7);
    expect(harness.logs).toContainEqual({
      message: 'could not store script logs',
      details: { runId: view.runId, nodeId: 'work', attempt: 1, error: 'logs table throttled' },
    });
    expect(harness.scriptLogs).toHaveLength(1);
  });
});
