import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { runChaos } from '../chaos/chaos.ts';

describe('chaos on the memory run store (the short version of npm run chaos)', () => {
  it('keeps every guarantee over 60 random runs with crashes, duplicates, takeovers and racing controls', async () => {
    // Prepare
    const plan = { runs: 60, seed: 1_000, makeStore: () => new MemoryRunStore() };

    // Act
    const summary = await runChaos(plan);

    // Assess
    expect(summary.violations).toEqual([]);
    expect(summary.crashes).toBeGreaterThan(0);
    expect(summary.controls).toBeGreaterThan(0);
    expect(summary.succeeded + summary.failed).toBe(60);
  }, 120_000);
});
