import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import type { RunStore } from '../../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { MINUTE } from '../../scenarios/scenario-kit.ts';

/** The memory store, counting `listNodes` calls by run. */
function countingNodeReads(store: MemoryRunStore) {
  const reads = new Map<string, number>();
  const runs = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'listNodes' || typeof value !== 'function') return value;
      return (runId: string, ...rest: unknown[]) => {
        reads.set(runId, (reads.get(runId) ?? 0) + 1);
        return value.call(target, runId, ...rest);
      };
    },
  }) as RunStore;
  return { runs, reads };
}

async function loseAllMessages(harness: WorkflowHarness): Promise<void> {
  for (let batch = await harness.queue.receive({ max: 10 }); batch.length > 0; ) {
    for (const message of batch) await harness.queue.delete(message.receipt);
    batch = await harness.queue.receive({ max: 10 });
  }
}

describe('the sweeper on a large run', () => {
  it('reads a 2,500-node run node by node once every 3 rounds, and still finds its lost messages', async () => {
    // Prepare
    const { runs, reads } = countingNodeReads(new MemoryRunStore());
    const harness = new WorkflowHarness({ runs });
    const nodes = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`n${i}`, { type: 'noop' }]));
    await harness.publish({ id: 'wide', nodes });
    await harness.publish({ id: 'small', nodes: { a: { type: 'noop' } } });
    const wide = await harness.start('wide');
    const small = await harness.start('small');
    await loseAllMessages(harness);
    harness.clock.advance(11 * MINUTE);

    // Act
    const reports = [];
    for (let round = 0; round < 3; round++) {
      reports.push(await harness.engine.sweep());
      harness.clock.advance(MINUTE);
    }
    await harness.drain();

    // Assess
    expect(reads.get(wide)).toBe(1);
    expect(reads.get(small)).toBe(3);
    expect(reports.map((report) => report.requeued).reduce((a, b) => a + b)).toBe(2_501);
    expect((await harness.view(wide)).status).toBe('SUCCEEDED');
    expect((await harness.view(small)).status).toBe('SUCCEEDED');
  });
});
