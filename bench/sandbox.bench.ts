// The sandbox benchmark (`npx tsx bench/sandbox.bench.ts`): cold start and per-call cost of
// expressions and scripts through the sandbox, from source (tsx, as tests and local mode run it)
// and from a bundle (esbuild, as the CDK app bundles a Lambda function), next to the same work on
// the calling thread. Writes bench/results/sandbox.md and the sandbox section of bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { ESM_BANNER } from '../infra/constructs/lambda.ts';
import { SandboxPool } from '../shared/adapters/sandbox/sandbox-pool.ts';
import { SANDBOX_ENTRIES } from '../shared/config.ts';
import { runExpressionJob } from '../shared/engine/evaluate-in-thread.ts';
import { runJsScript } from '../shared/executors/script-js.ts';
import { runLuaScript } from '../shared/executors/script-lua.ts';
import {
  expressionJob,
  measureSandbox,
  type SandboxFigures,
  scriptJob,
  timeCalls,
} from './sandbox-measure.ts';
import { replaceSection } from './sections.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fmt = (ms: number) => ms.toFixed(3);

// The same work on this thread: what the sandbox adds is the difference.
const clock = { now: () => performance.now() };
const hooks = { now: clock.now, stopRequested: () => undefined };
const inThread = {
  expression: await timeCalls(2000, (i) => runExpressionJob(expressionJob(i), clock)),
  js: await timeCalls(2000, (i) => runJsScript(scriptJob('js', i), hooks)),
  lua: await timeCalls(2000, (i) => runLuaScript(scriptJob('lua', i), hooks)),
};
const fromSource = await measureSandbox(() => new SandboxPool());
const bundled = measureBundled();

/** Bundles a probe and the hosts' entries as the CDK app does, with the wasm beside, and runs it. */
function measureBundled(): SandboxFigures {
  const dir = mkdtempSync(join(tmpdir(), 'skein-sandbox-bench-'));
  try {
    const hosts = Object.values(SANDBOX_ENTRIES).map(({ source, bundle }) => [
      bundle.replace(/\.mjs$/, ''),
      source,
    ]);
    buildSync({
      entryPoints: Object.fromEntries([['probe', 'bench/sandbox-probe.ts'], ...hosts]),
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: { js: ESM_BANNER },
      logLevel: 'warning',
    });
    const require = createRequire(join(root, 'package.json'));
    for (const spec of ['@jitl/quickjs-wasmfile-release-sync/wasm', 'wasmoon/dist/glue.wasm']) {
      const file = require.resolve(spec);
      copyFileSync(file, join(dir, basename(file)));
    }
    const out = execFileSync(process.execPath, [join(dir, 'probe.mjs')], { cwd: dir, encoding: 'utf8' });
    return JSON.parse(out) as SandboxFigures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const row = (label: string, key: 'expression' | 'js' | 'lua') => {
  const base = inThread[key];
  const [source, bundle] = [fromSource.warm[key], bundled.warm[key]];
  return `| ${label} | ${fmt(base.p50)} | ${fmt(source.p50)} / ${fmt(source.p99)} | ${fmt(bundle.p50)} / ${fmt(bundle.p99)} | ${fmt(bundle.p50 - base.p50)} |`;
};
const [one, five, fifteen] = loadavg().map((load) => load.toFixed(1));
const report = [
  `Measured by \`npx tsx bench/sandbox.bench.ts\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, load average ${one} / ${five} / ${fifteen} at the end. Milliseconds; noisy on this shared machine.`,
  '',
  'Warm hosts, sequential calls: an expression is a two-expression `with` template (`$inputs` and `$nodes` in scope), a script `return inputs.n + 1`. "From source" is tsx (tests, `npm start`, `skein run`); "bundled" is esbuild output as on Lambda (Node 24 there).',
  '',
  '| call | on the calling thread p50 | sandbox from source p50 / p99 | sandbox bundled p50 / p99 | added by the sandbox (bundled p50 − thread p50) |',
  '|---|---|---|---|---|',
  row('expression (child process)', 'expression'),
  row('JavaScript script (worker thread)', 'js'),
  row('Lua script (worker thread)', 'lua'),
  '',
  `With 10 expressions in flight (a worker's batch) on the 2 expression processes: ${fmt(fromSource.batchOf10)} ms per expression from source, ${fmt(bundled.batchOf10)} bundled.`,
  '',
  '| cold start: new pool to first answer | from source | bundled |',
  '|---|---|---|',
  `| expression (starts a process, loads JSONata) | ${fromSource.cold.expression.toFixed(0)} | ${bundled.cold.expression.toFixed(0)} |`,
  `| script (starts a thread, loads QuickJS and Lua) | ${fromSource.cold.script.toFixed(0)} | ${bundled.cold.script.toFixed(0)} |`,
  '',
  'A script builds a fresh engine each time (QuickJS runtime and context, Lua state and libraries): that, not the hop, is most of its cost. A killed host is replaced at once, at the cold-start price.',
].join('\n');

mkdirSync(new URL('results', import.meta.url), { recursive: true });
writeFileSync(new URL('results/sandbox.md', import.meta.url), `# Sandbox benchmark\n\n${report}\n`);
const results = new URL('RESULTS.md', import.meta.url);
writeFileSync(
  results,
  replaceSection(
    readFileSync(results, 'utf8'),
    'sandbox',
    `## Sandbox: cost of isolating tenant code\n\n${report}`,
  ),
);
console.log(report);
console.log('\nwrote bench/results/sandbox.md and the sandbox section of bench/RESULTS.md');
