/**
 * Many chaos runs, each a fresh random workflow (seeded), on one kind of run store; the summary
 * counts what the oracles check and lists every violation with the seed that reproduces it.
 */
import type { RunStore } from '../../shared/ports/run-store.ts';
import { type ChaosOptions, type ChaosResult, chaosRun } from './driver.ts';
import { prng, randomWorkflow } from './generate.ts';

export interface ChaosSummary {
  readonly runs: number;
  readonly nodes: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly deliveries: number;
  readonly crashes: number;
  readonly controls: number;
  readonly retries: number;
  readonly writes: number;
  readonly completions: number;
  readonly violations: readonly {
    readonly seed: number;
    readonly workflow: string;
    readonly problems: readonly string[];
  }[];
  readonly ms: number;
}

export interface ChaosPlan extends ChaosOptions {
  readonly runs: number;
  readonly seed: number;
  readonly maxNodes?: number;
  readonly makeStore: (index: number) => RunStore | Promise<RunStore>;
  readonly onRun?: (result: ChaosResult, index: number) => void;
}

export async function runChaos(plan: ChaosPlan): Promise<ChaosSummary> {
  const started = performance.now();
  const totals = {
    nodes: 0,
    succeeded: 0,
    failed: 0,
    deliveries: 0,
    crashes: 0,
    controls: 0,
    retries: 0,
    writes: 0,
    completions: 0,
  };
  const violations: { seed: number; workflow: string; problems: string[] }[] = [];
  for (let index = 0; index < plan.runs; index += 1) {
    const seed = plan.seed + index;
    const random = prng(seed);
    const workflow = randomWorkflow(random, index, plan.maxNodes);
    const result = await chaosRun(workflow, random, () => plan.makeStore(index), plan, `s${seed}`);
    totals.nodes += result.nodes;
    if (result.status === 'SUCCEEDED') totals.succeeded += 1;
    if (result.status === 'FAILED') totals.failed += 1;
    totals.deliveries += result.stats.deliveries;
    totals.crashes += result.stats.crashes;
    totals.controls += result.stats.controls;
    totals.retries += result.stats.retries;
    totals.writes += result.stats.writes;
    totals.completions += result.stats.completions;
    if (result.violations.length > 0)
      violations.push({ seed, workflow: workflow.id, problems: [...result.violations] });
    plan.onRun?.(result, index);
  }
  return { runs: plan.runs, ...totals, violations, ms: performance.now() - started };
}
