import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { LOCAL_TABLES, silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { writeReports } from './fuzz/report.ts';
import { failed as hasFailed, runFuzz } from './fuzz/runner.ts';
import { spawnNpmStart, startInProcess } from './fuzz/targets.ts';
import type { FuzzTarget } from './fuzz/types.ts';

/**
 * `npm run fuzz`: starts `npm start` on a fresh data folder (the embedded store, worker,
 * sweeper), writes a known-good seed, sends generated requests to every route of `/openapi.json`,
 * checks every answer and then the seed, and writes bench/results/fuzz-report.md and
 * fuzz-violations.json. Exit code 0 when nothing failed, 1 when something did, 2 for bad options.
 *
 *   npm run fuzz -- --seed 42 --requests 10000 [--target start|inprocess] [--concurrency 8]
 */
const USAGE =
  'usage: npm run fuzz -- [--seed N] [--requests N] [--target start|inprocess] [--concurrency N] [--out DIR]';
let options: { seed: number; requests: number; target: string; concurrency: number; out: string };
try {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      requests: { type: 'string', default: '10000' },
      target: { type: 'string', default: 'start' },
      concurrency: { type: 'string', default: '8' },
      out: { type: 'string', default: 'bench/results' },
    },
  });
  options = {
    seed: integer(values.seed, '--seed', -(2 ** 31), 2 ** 31 - 1),
    requests: integer(values.requests, '--requests', 1, 10_000_000),
    target: values.target,
    concurrency: integer(values.concurrency, '--concurrency', 1, 256),
    out: values.out,
  };
  if (!['start', 'inprocess'].includes(options.target))
    throw new Error(`--target must be start or inprocess, got ${options.target}`);
} catch (error) {
  console.error(`npm run fuzz: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

function integer(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${text}`);
  return value;
}

silenceSdkNodeVersionNotice();
const log = (line: string) => console.log(`[fuzz] ${line}`);
log(`starting the target (${options.target})...`);
let stopDynamo: (() => Promise<void>) | undefined;
let target: FuzzTarget;
if (options.target === 'start') {
  target = await spawnNpmStart();
} else {
  const dynamo = await startDynamoDbLocal();
  stopDynamo = () => dynamo.stop();
  target = await startInProcess({ dynamoEndpoint: dynamo.endpoint, tables: LOCAL_TABLES });
}
log(`target: ${target.description} at ${target.url}`);
// Ctrl-C stops the server this run started, not only the fuzzer.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the target`);
    void Promise.allSettled([target.stop(), stopDynamo?.()]).then(() => process.exit(130));
  });
}
let failed = true;
try {
  const result = await runFuzz(target, {
    seed: options.seed,
    requests: options.requests,
    concurrency: options.concurrency,
    log,
  });
  const command = `npm run fuzz -- --seed ${options.seed} --requests ${options.requests} --target ${options.target} --concurrency ${options.concurrency}`;
  const files = writeReports(options.out, {
    command,
    target: target.description,
    seed: options.seed,
    requested: options.requests,
    ...result,
  });
  const { stats } = result;
  log(
    `${stats.total} requests in ${stats.seconds.toFixed(1)} s (${(stats.total / stats.seconds).toFixed(0)}/s); 5xx ${stats.count5xx()}; ` +
      `violations ${result.violations.filter((v) => !v.known).length} (+${result.violations.filter((v) => v.known).length} known); seed changes ${result.seedProblems.length}; canary hits ${result.canaryHits.length}; ` +
      `alive ${result.alive}; unhandled ${result.unhandled.length}; error codes ${stats.byCode.size}`,
  );
  log(`reports: ${files.join(', ')}`);
  failed = hasFailed(result);
} finally {
  await target.stop();
  await stopDynamo?.();
}
process.exit(failed ? 1 : 0);
