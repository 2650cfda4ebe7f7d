// Validation time for 1k and 10k-node definitions (`npm run bench`). Prints a Markdown table and
// writes it to bench/results/validate.md. Timings are noisy here: compare the ratios of one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { analyzeDag } from '../shared/domain/dag.ts';
import { validateDefinition, validateSource } from '../shared/domain/validate.ts';

/** A deterministic pseudo-random generator (mulberry32), so every run measures the same graphs. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * n nodes, each with up to 3 parents among the previous 50; every fourth is a script with an
 * expression. (10,000 nodes must also fit the 1 MB definition limit.)
 */
function definition(n: number) {
  const random = rng(n);
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const needs = new Set<string>();
    for (let k = 0; k < 3 && i > 0; k++) needs.add(`n${Math.max(0, i - 1 - Math.floor(random() * 50))}`);
    const parent = [...needs][0];
    nodes[`n${i}`] =
      i % 4 !== 0 || !parent
        ? { type: 'noop', ...(needs.size > 0 && { needs: [...needs] }) }
        : {
            type: 'script',
            language: 'js',
            code: 'return inputs.x',
            needs: [...needs],
            with: { x: `{% $nodes.${parent}.output %}` },
          };
  }
  return { description: `${n} nodes`, nodes };
}

function median(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(runs: number, fn: () => unknown) {
  fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const rows: string[] = [];
const results: Record<number, { yaml: number; value: number; dag: number }> = {};
for (const n of [1_000, 10_000]) {
  const value = definition(n);
  const yaml = stringify(value);
  const edges = Object.values(value.nodes).reduce(
    (sum: number, node) => sum + ((node as { needs?: string[] }).needs?.length ?? 0),
    0,
  );
  const check = validateSource(yaml, 'yaml');
  if (!check.valid)
    throw new Error(`generated definition is invalid: ${JSON.stringify(check.errors.slice(0, 3))}`);
  const ids = Object.keys(value.nodes);
  const parents = (id: string) => (value.nodes[id] as { needs?: string[] }).needs ?? [];
  const runs = n === 1_000 ? 20 : 7;
  results[n] = {
    yaml: time(runs, () => validateSource(yaml, 'yaml')),
    value: time(runs, () => validateDefinition(value)),
    dag: time(runs, () => analyzeDag({ nodes: ids, parents })),
  };
  const r = results[n];
  rows.push(
    `| ${n} | ${edges} | ${(Buffer.byteLength(yaml) / 1024).toFixed(0)} KB | ${r.yaml.toFixed(1)} | ${r.value.toFixed(1)} | ${r.dag.toFixed(2)} |`,
  );
}
const ratio = (k: 'yaml' | 'value' | 'dag') =>
  ((results[10_000]?.[k] ?? 0) / (results[1_000]?.[k] ?? 1)).toFixed(1);
const report = [
  `# Validation benchmark (${new Date().toISOString()}, Node ${process.version})`,
  '',
  'Median milliseconds; `npm run bench`. Every fourth node is a script with a JSONata expression.',
  '',
  '| nodes | edges | YAML size | validateSource (parse + validate) | validateDefinition | analyzeDag (cycles + levels) |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
  `t(10k)/t(1k): validateSource ${ratio('yaml')}×, validateDefinition ${ratio('value')}×, analyzeDag ${ratio('dag')}× (linear would be 10×).`,
  '',
].join('\n');
console.log(report);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/validate.md', import.meta.url), report);
