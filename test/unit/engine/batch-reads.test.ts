import { describe, expect, it } from 'vitest';
import { BatchReads } from '../../../shared/engine/batch-reads.ts';
import type { RunRecord } from '../../../shared/ports/run-store.ts';

/** A read the test resolves by hand, counting how often it was made. */
function manualReads() {
  const pending: ((run: RunRecord | undefined) => void)[] = [];
  const made: string[] = [];
  const read = (runId: string) => {
    made.push(runId);
    return new Promise<RunRecord | undefined>((resolve) => pending.push(resolve));
  };
  const resolveAll = (run: RunRecord | undefined) => {
    for (const resolve of pending.splice(0)) resolve(run);
  };
  return { read, made, resolveAll };
}

const runOf = (runId: string, epoch: number) => ({ runId, epoch }) as RunRecord;

describe('BatchReads', () => {
  it('shares a read in flight among the messages of its run, and keeps runs apart', async () => {
    // Prepare
    const reads = new BatchReads();
    const { read, made, resolveAll } = manualReads();

    // Act
    const a1 = reads.run('a', read);
    const a2 = reads.run('a', read);
    const b1 = reads.run('b', read);
    resolveAll(runOf('x', 1));

    // Assess
    expect(made).toEqual(['a', 'b']);
    expect(await a1).toBe(await a2);
    expect(await b1).toEqual(runOf('x', 1));
  });

  it('reads again once the shared read has resolved, so no view outlives it', async () => {
    // Prepare
    const reads = new BatchReads();
    const { read, made, resolveAll } = manualReads();
    const first = reads.run('a', read);
    resolveAll(runOf('a', 0));
    await first;

    // Act
    const second = reads.run('a', read);
    resolveAll(runOf('a', 1));

    // Assess
    expect(made).toEqual(['a', 'a']);
    expect((await second)?.epoch).toBe(1);
  });

  it('reads again after a failed read, and hands the failure to every message that shared it', async () => {
    // Prepare
    const reads = new BatchReads();
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('throttled');
    };

    // Act
    const shared = await Promise.allSettled([reads.run('a', failing), reads.run('a', failing)]);
    const again = await reads.run('a', async () => runOf('a', 2));

    // Assess
    expect(shared.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(again?.epoch).toBe(2);
  });
});
