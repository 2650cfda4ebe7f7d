// `npm run chaos`: random workflows driven through the engine with faults (see test/chaos/), on the
// memory store and on DynamoDB Local, judged by an independent reference evaluation and by the
// writes each store applied. Exit 0 with no violation, 1 otherwise (each printed with its seed).
//   npm run chaos -- [--runs 1000] [--dynamodb-runs 100] [--seed 1] [--max-nodes 60]
import { parseArgs } from 'node:util';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryRunStore } from '../shared/adapters/memory/run-store.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { type ChaosSummary, runChaos } from '../test/chaos/chaos.ts';

silenceSdkNodeVersionNotice();
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    'dynamodb-runs': { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    'max-nodes': { type: 'string', default: '60' },
  },
});
const seed = Number(values.seed);
const maxNodes = Number(values['max-nodes']);

function report(store: string, summary: ChaosSummary) {
  const seconds = (summary.ms / 1000).toFixed(1);
  process.stdout.write(
    `\n${store}: ${summary.runs} runs (${summary.nodes} nodes; ${summary.succeeded} SUCCEEDED, ${summary.failed} FAILED as the reference says) in ${seconds} s\n` +
      `  ${summary.deliveries} deliveries, ${summary.crashes} injected crashes, ${summary.controls} racing controls (${summary.retries} retries applied), ${summary.writes} store writes, ${summary.completions} node completions\n` +
      `  violations: ${summary.violations.length}\n`,
  );
  for (const violation of summary.violations) {
    process.stdout.write(
      `  seed ${violation.seed} (${violation.workflow}): ${violation.problems.join('; ')}\n`,
    );
  }
}

const progress = (label: string, total: number) => (_: unknown, index: number) => {
  if ((index + 1) % Math.max(1, Math.floor(total / 10)) === 0)
    process.stdout.write(`  ${label} ${index + 1}/${total}\n`);
};

const memoryRuns = Number(values.runs);
const memory = await runChaos({
  runs: memoryRuns,
  seed,
  maxNodes,
  makeStore: () => new MemoryRunStore(),
  onRun: progress('memory', memoryRuns),
});
report('memory', memory);

let dynamo: ChaosSummary | undefined;
const dynamoRuns = Number(values['dynamodb-runs']);
if (dynamoRuns > 0) {
  const db = await startDynamoDbLocal();
  try {
    const { client, doc } = dynamoClients(db.endpoint);
    const tables = { definitions: 'chaos-definitions', control: 'chaos-control', runs: 'chaos-runs' };
    await createTables(client, tables);
    const store = new DynamoDbRunStore({ client: doc, tableName: tables.runs });
    dynamo = await runChaos({
      runs: dynamoRuns,
      seed: seed + 1_000_000,
      maxNodes,
      makeStore: () => store,
      onRun: progress('DynamoDB Local', dynamoRuns),
    });
    report('DynamoDB Local', dynamo);
  } finally {
    await db.stop();
  }
}
process.exitCode = memory.violations.length + (dynamo?.violations.length ?? 0) > 0 ? 1 : 0;
