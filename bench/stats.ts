// Summaries of benchmark samples (milliseconds, dollars, anything numeric).

/** The summary of a set of samples. */
export interface Summary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

function sortedCopy(samples: readonly number[]) {
  if (samples.length === 0) throw new RangeError('no samples');
  if (samples.some((s) => !Number.isFinite(s))) throw new RangeError('samples must be finite numbers');
  return [...samples].sort((a, b) => a - b);
}

function rank(sorted: readonly number[], p: number) {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  return sorted[Math.ceil((p * sorted.length) / 100) - 1] as number;
}

/**
 * The p-th percentile by the nearest-rank method: the smallest sample with at least p% of the
 * samples at or below it (always a sample, never interpolated). p is in (0, 100].
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(samples: readonly number[], p: number): number {
  return rank(sortedCopy(samples), p);
}

/**
 * Count, mean, p50, p99 (nearest rank, see `percentile`), min and max of non-empty samples.
 * With fewer than 100 samples p99 is the maximum.
 * @example summarize([3, 1, 2]) // { count: 3, mean: 2, p50: 2, p99: 3, min: 1, max: 3 }
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = sortedCopy(samples);
  return {
    count: sorted.length,
    mean: sorted.reduce((sum, s) => sum + s, 0) / sorted.length,
    p50: rank(sorted, 50),
    p99: rank(sorted, 99),
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
  };
}
