// The side-by-side results: per shape and contestant, the samples of one interleaved run turned
// into p50 (and p95 for the diamond), nodes per second, the ratio to the baseline (BullMQ), and
// the targets for the embedded store. Pure: the benchmark prints and writes the text.
import { percentile } from '../stats.ts';

/** A shape as the table shows it. */
export interface ShapeRow {
  readonly name: string;
  /** Nodes in one run (for nodes per second). */
  readonly nodes: number;
  /** `latency`: p50 and p95 in ms (the diamond); `throughput`: p50 in s and nodes per second. */
  readonly kind: 'latency' | 'throughput';
}

/** Samples (ms per run) by shape name, then contestant name. */
export type Samples = ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>;

/** The figures of one cell. */
export interface Cell {
  readonly p50: number;
  readonly p95: number;
  readonly runs: number;
  readonly nodesPerSecond: number;
  /** The baseline's p50 divided by this p50: above 1 is faster than the baseline. */
  readonly speedup?: number;
}

/**
 * The figures of `contestant` on `shape`, or undefined when it has no samples there.
 * @example cell(samples, row, 'Skein memory', 'BullMQ + Redis')?.speedup // 3.1
 */
export function cell(
  samples: Samples,
  row: ShapeRow,
  contestant: string,
  baseline: string,
): Cell | undefined {
  const ms = samples.get(row.name)?.get(contestant);
  if (!ms || ms.length === 0) return undefined;
  const p50 = percentile(ms, 50);
  const base = samples.get(row.name)?.get(baseline);
  const baseP50 = base && base.length > 0 ? percentile(base, 50) : undefined;
  return {
    p50,
    p95: percentile(ms, 95),
    runs: ms.length,
    nodesPerSecond: (row.nodes * 1000) / p50,
    ...(baseP50 !== undefined ? { speedup: baseP50 / p50 } : {}),
  };
}

const fixed = (n: number, digits: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A cell as Markdown: `1.9 ms / 2.4 ms (2.10×)` or `0.62 s, 1,620 nodes/s (1.55×)`. */
export function formatCell(row: ShapeRow, figures: Cell | undefined): string {
  if (!figures) return 'skipped';
  const ratio = figures.speedup === undefined ? '' : ` (${fixed(figures.speedup, 2)}×)`;
  if (row.kind === 'latency') return `${fixed(figures.p50, 2)} / ${fixed(figures.p95, 2)} ms${ratio}`;
  return `${fixed(figures.p50 / 1000, 2)} s, ${fixed(figures.nodesPerSecond, 0)} nodes/s${ratio}`;
}

/** The Markdown table: one row per shape, one column per contestant. */
export function markdownTable(
  rows: readonly ShapeRow[],
  contestants: readonly string[],
  samples: Samples,
  baseline: string,
): string {
  const lines = [`| shape | ${contestants.join(' | ')} |`, `|---|${contestants.map(() => '---|').join('')}`];
  for (const row of rows) {
    const label = row.kind === 'latency' ? `${row.name} p50 / p95` : `${row.name} p50`;
    const cells = contestants.map((name) => formatCell(row, cell(samples, row, name, baseline)));
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One of the targets for the embedded store, checked against the run. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Absolute targets by shape name: the diamond's p50 in ms, the chain's p50 in ms, the fan-out's nodes/s. */
export const TARGETS = {
  diamondP50Ms: 4,
  chainMs: 1000,
  fanOutNodesPerSecond: 5000,
} as const;

/**
 * The targets for `contestant` (the embedded store): faster than the baseline on every
 * shape the baseline ran, diamond p50 ≤ 4 ms, chain-1000 ≤ 1 s, fan-out-10000 ≥ 5,000 nodes/s.
 */
export function checkTargets(
  rows: readonly ShapeRow[],
  contestant: string,
  samples: Samples,
  baseline: string,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const row of rows) {
    const figures = cell(samples, row, contestant, baseline);
    if (!figures) continue;
    if (figures.speedup !== undefined) {
      checks.push({
        target: `${row.name}: faster than ${baseline}`,
        measured: `${fixed(figures.speedup, 2)}× its speed`,
        met: figures.speedup > 1,
      });
    }
    if (row.name === 'diamond') {
      checks.push({
        target: `diamond p50 ≤ ${TARGETS.diamondP50Ms} ms`,
        measured: `${fixed(figures.p50, 2)} ms`,
        met: figures.p50 <= TARGETS.diamondP50Ms,
      });
    } else if (row.name === 'chain-1000') {
      checks.push({
        target: `chain-1000 ≤ ${TARGETS.chainMs / 1000} s`,
        measured: `${fixed(figures.p50 / 1000, 2)} s`,
        met: figures.p50 <= TARGETS.chainMs,
      });
    } else if (row.name === 'fan-out-10000') {
      checks.push({
        target: `fan-out-10000 ≥ ${fixed(TARGETS.fanOutNodesPerSecond, 0)} nodes/s`,
        measured: `${fixed(figures.nodesPerSecond, 0)} nodes/s`,
        met: figures.nodesPerSecond >= TARGETS.fanOutNodesPerSecond,
      });
    }
  }
  return checks;
}
