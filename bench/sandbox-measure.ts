// What the sandbox benchmark measures, shared by the run from source (`sandbox.bench.ts`) and
// the run from a bundle (`sandbox-probe.ts`, bundled as on Lambda).
import { performance } from 'node:perf_hooks';
import type { ExpressionJob, Sandbox, ScriptJob } from '../shared/ports/sandbox.ts';
import { summarize } from './stats.ts';

export interface SandboxFigures {
  /** ms from a new pool to the first answer: a process (expressions) or a thread (scripts) starts. */
  readonly cold: { readonly expression: number; readonly script: number };
  /** Sequential calls on warm hosts: p50, p99, mean in ms. */
  readonly warm: Record<'expression' | 'js' | 'lua', { p50: number; p99: number; mean: number }>;
  /** Mean ms per expression with 10 in flight (a worker's batch) on the 2 expression processes. */
  readonly batchOf10: number;
}

const ctx = { runId: 'bench', nodeId: 'n', attempt: 1 };

export const expressionJob = (n: number): ExpressionJob => ({
  kind: 'template',
  value: { total: '{% $inputs.n + $nodes.fetch.output.count %}', label: 'order {% $inputs.id %}' },
  scope: { inputs: { n, id: `o-${n}` }, nodes: { fetch: { output: { count: 2 } } }, run: { id: 'bench' } },
  path: '$.with',
  nowMs: 0,
  timeoutMs: 1000,
  budgetMs: 2000,
});

export const scriptJob = (language: 'js' | 'lua', n: number): ScriptJob => ({
  language,
  code: 'return inputs.n + 1',
  inputs: { n },
  ctx,
  memoryMb: 64,
  budgetMs: 1000,
});

/**
 * Times `count` sequential calls of `call`, after as many unmeasured ones: the engines'
 * WebAssembly and JavaScript reach their optimised tiers only after a few thousand calls.
 */
export async function timeCalls(count: number, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < count; i += 1) await call(i);
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await call(i);
    samples.push(performance.now() - started);
  }
  const { p50, p99, mean } = summarize(samples);
  return { p50, p99, mean };
}

/** Cold start and warm per-call figures of a new pool made by `create`, which is closed at the end. */
export async function measureSandbox(create: () => Sandbox): Promise<SandboxFigures> {
  const pool = create();
  try {
    let started = performance.now();
    await pool.evaluate(expressionJob(0));
    const expression = performance.now() - started;
    started = performance.now();
    await pool.runScript(scriptJob('js', 0));
    const script = performance.now() - started;
    const warm = {
      expression: await timeCalls(2000, (i) => pool.evaluate(expressionJob(i))),
      js: await timeCalls(2000, (i) => pool.runScript(scriptJob('js', i))),
      lua: await timeCalls(2000, (i) => pool.runScript(scriptJob('lua', i))),
    };
    started = performance.now();
    for (let round = 0; round < 100; round += 1)
      await Promise.all(Array.from({ length: 10 }, (_, i) => pool.evaluate(expressionJob(i))));
    const batchOf10 = (performance.now() - started) / 1000;
    return { cold: { expression, script }, warm, batchOf10 };
  } finally {
    await pool.close();
  }
}
