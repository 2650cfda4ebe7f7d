// The engine benchmark (`npm run bench`): the same shapes on the memory store, on DynamoDB Local
// and, as ASL, on aws-local-stepfunctions, in one process; requests and capacity counted by
// wrapping the clients; dollars from ../shared/bench/prices.json. Writes bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryRunStore } from '../shared/adapters/memory/run-store.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import type { RunStore } from '../shared/ports/run-store.ts';
import { aslFor } from './asl.ts';
import { costPerMillionNodes, loadPrices, stepFunctionsCostPerMillionNodes } from './cost.ts';
import { countDynamoDb, type DynamoCounts, diffCounts, snapshot } from './dynamo-counting.ts';
import { engineBench, type QueueCounts } from './engine-driver.ts';
import { replaceSection } from './sections.ts';
import { benchmarkShapes, type Shape } from './shapes.ts';
import { summarize } from './stats.ts';
import { runOnLocalStepFunctions } from './stepfunctions.ts';

silenceSdkNodeVersionNotice();
const DIAMOND_RUNS = 200;
const prices = loadPrices();
const shapes = benchmarkShapes();

interface Measured {
  readonly shape: Shape;
  readonly ms: number[];
  readonly nodesRun: number;
  readonly dynamo?: DynamoCounts;
  readonly queue: QueueCounts;
  readonly ok: boolean;
}

function queueSnapshot(counts: QueueCounts): QueueCounts {
  return { ...counts };
}

function queueDiff(after: QueueCounts, before: QueueCounts): QueueCounts {
  const keys = Object.keys(after) as (keyof QueueCounts)[];
  return Object.fromEntries(keys.map((key) => [key, after[key] - before[key]])) as unknown as QueueCounts;
}

async function measureBackend(label: string, runs: RunStore, dynamo?: DynamoCounts): Promise<Measured[]> {
  const bench = engineBench(runs, 8);
  const results: Measured[] = [];
  for (const shape of shapes) {
    await bench.publish(shape.definition);
    const repeat = shape.kind === 'diamond' ? DIAMOND_RUNS : 1;
    await bench.runToEnd(shape.definition.id); // warm-up: plan cache, JIT
    const dynamoBefore = dynamo && snapshot(dynamo);
    const queueBefore = queueSnapshot(bench.counts);
    const ms: number[] = [];
    let ok = true;
    for (let i = 0; i < repeat; i += 1) {
      const result = await bench.runToEnd(shape.definition.id);
      ms.push(result.ms);
      ok &&= result.status === 'run.succeeded';
    }
    results.push({
      shape,
      ms,
      nodesRun: shape.nodes * repeat,
      queue: queueDiff(bench.counts, queueBefore),
      ok,
      ...(dynamo && dynamoBefore ? { dynamo: diffCounts(dynamo, dynamoBefore) } : {}),
    });
    process.stdout.write(
      `  ${label} ${shape.name}: ${summarize(ms).p50.toFixed(1)} ms p50${ok ? '' : ' (FAILED)'}\n`,
    );
  }
  await bench.stop();
  return results;
}

async function measureStepFunctions(): Promise<
  Map<string, { ms: number[]; transitions: number; nodes: number }>
> {
  const out = new Map<string, { ms: number[]; transitions: number; nodes: number }>();
  for (const shape of shapes) {
    const asl = aslFor(shape);
    const ms = await runOnLocalStepFunctions(
      asl.definition,
      asl.input,
      shape.kind === 'diamond' ? DIAMOND_RUNS : 3,
    );
    out.set(shape.name, { ms, transitions: asl.transitions, nodes: asl.nodes });
    process.stdout.write(`  aws-local-stepfunctions ${shape.name}: ${summarize(ms).p50.toFixed(1)} ms p50\n`);
  }
  return out;
}

const fmt = (value: number, digits = 1) => value.toFixed(digits);
const money = (value: number) => `$${value.toFixed(2)}`;

function perNode(measured: Measured) {
  const n = measured.nodesRun;
  const q = measured.queue;
  return {
    writeUnits: (measured.dynamo?.writeUnits ?? 0) / n,
    readUnits: (measured.dynamo?.readUnits ?? 0) / n,
    requests: Object.values(measured.dynamo?.requests ?? {}).reduce((a, b) => a + b, 0) / n,
    messages: q.messagesSent / n,
    sqsRequests: (q.sendRequests + q.receiveRequests + q.deleteRequests) / n,
    lambdaInvocations: q.batches / n,
  };
}

/** Dollars per million nodes for per-node counts, at prices.json. */
function costOf(p: ReturnType<typeof perNode>) {
  const { writeUnits, readUnits, sqsRequests, lambdaInvocations } = p;
  return costPerMillionNodes({ writeUnits, readUnits, sqsRequests, lambdaInvocations }, prices);
}

console.log('Engine benchmark (noop nodes, 8 in-process workers, one process):');
const memory = await measureBackend('memory', new MemoryRunStore());
const dynamoLocal = await startDynamoDbLocal({});
let dynamo: Measured[];
try {
  const { client, doc } = dynamoClients(dynamoLocal.endpoint);
  const tables = { definitions: 'bench-definitions', control: 'bench-control', runs: 'bench-runs' };
  await createTables(client, tables);
  const counts = countDynamoDb(client);
  dynamo = await measureBackend(
    'dynamodb-local',
    new DynamoDbRunStore({ client: doc, tableName: tables.runs }),
    counts,
  );
  client.destroy();
} finally {
  await dynamoLocal.stop();
}
const sfn = await measureStepFunctions();

const lines: string[] = [];
lines.push('# Engine benchmark results', '');
lines.push(
  `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' / ',
    )} at the end. Timings on this shared machine are noisy: compare ratios from the same run, not absolute times.`,
  '',
  'Every shape is made of `noop` nodes, so this measures the engine (claims, releases, queue, store), not the work. Skein runs with 8 in-process workers (each handles a batch of up to 10 messages concurrently) on an in-process queue; "memory" is the memory run store, "DynamoDB Local" the real DynamoDB adapter against DynamoDB Local 1.25.1 (in memory). aws-local-stepfunctions 3.0.0 runs the same shapes as ASL (Pass states; Map for fan-outs, Parallel for the diamond). A fan-in of 1,000 uses two join levels because a node has at most 100 parents.',
  '',
);
lines.push('## Latency and throughput', '');
lines.push(
  '| shape | nodes | memory p50 ms | memory p99 ms | DynamoDB Local p50 ms | DynamoDB Local p99 ms | DynamoDB Local nodes/s | aws-local-stepfunctions p50 ms | Skein memory ÷ ASL | Skein DynamoDB Local ÷ ASL |',
);
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const [index, shape] of shapes.entries()) {
  const m = summarize(memory[index]?.ms ?? []);
  const d = summarize(dynamo[index]?.ms ?? []);
  const s = summarize(sfn.get(shape.name)?.ms ?? []);
  lines.push(
    `| ${shape.name} | ${shape.nodes} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(d.p50)} | ${fmt(d.p99)} | ${fmt((shape.nodes * 1000) / d.p50, 0)} | ${fmt(s.p50)} | ${fmt(m.p50 / s.p50, 2)}× | ${fmt(d.p50 / s.p50, 2)}× |`,
  );
}
const ratio = (rows: Measured[]) => {
  const oneK = rows.find((row) => row.shape.name === 'fan-out-1000');
  const tenK = rows.find((row) => row.shape.name === 'fan-out-10000');
  return oneK && tenK ? summarize(tenK.ms).p50 / summarize(oneK.ms).p50 : Number.NaN;
};
const sfnRatio =
  (summarize(sfn.get('fan-out-10000')?.ms ?? []).p50 ?? 0) /
  (summarize(sfn.get('fan-out-1000')?.ms ?? []).p50 ?? 1);
lines.push(
  '',
  `t(10k)/t(1k) for the fan-out: memory ${fmt(ratio(memory), 1)}, DynamoDB Local ${fmt(ratio(dynamo), 1)}, aws-local-stepfunctions ${fmt(sfnRatio, 1)} (target for Skein: ≤ 11).`,
  '',
);
lines.push('## Requests and cost per node (DynamoDB Local, counted by wrapping the clients)', '');
lines.push(
  '| shape | DynamoDB requests | write units | read units | messages sent | SQS requests (send + receive + delete) | Lambda invocations | Skein $/M nodes | Step Functions Standard $/M nodes |',
);
lines.push('|---|---|---|---|---|---|---|---|---|');
for (const row of dynamo) {
  const p = perNode(row);
  const cost = costOf(p);
  const s = sfn.get(row.shape.name);
  const sfnCost = s ? stepFunctionsCostPerMillionNodes(s.transitions, s.nodes, prices) : Number.NaN;
  lines.push(
    `| ${row.shape.name} | ${fmt(p.requests, 2)} | ${fmt(p.writeUnits, 2)} | ${fmt(p.readUnits, 2)} | ${fmt(p.messages, 2)} | ${fmt(p.sqsRequests, 2)} | ${fmt(p.lambdaInvocations, 2)} | ${money(cost.total)} | ${money(sfnCost)} |`,
  );
}
const chain = dynamo.find((row) => row.shape.name === 'chain-1000');
if (chain) {
  const p = perNode(chain);
  const cost = costOf(p);
  lines.push(
    '',
    `Cost breakdown for chain-1000, per million nodes: DynamoDB writes ${money(cost.dynamodbWrites)}, reads ${money(cost.dynamodbReads)}, SQS ${money(cost.sqs)}, Lambda requests ${money(cost.lambdaRequests)}, Lambda compute ${money(cost.lambdaCompute)} (${prices.lambda_assumed_node_ms} ms per node at ${prices.lambda_assumed_memory_mb} MB, arm64, as prices.json assumes).`,
  );
}
lines.push(
  '',
  'DynamoDB requests per node by command (DynamoDB Local):',
  '',
  ...dynamo.map(
    (row) =>
      `- ${row.shape.name}: ${Object.entries(row.dynamo?.requests ?? {})
        .map(([name, count]) => `${name.replace('Command', '')} ${fmt(count / row.nodesRun, 2)}`)
        .join(', ')}`,
  ),
  '',
  'Notes: capacity units are what DynamoDB Local reports with `ReturnConsumedCapacity: TOTAL`. Only the run item carries GSI keys; its index writes happen when a run starts and ends (a fixed cost per run, which is why the 4-node diamond costs more per node than the 1,000-node shapes). SQS requests count one SendMessageBatch per 10 messages, and one ReceiveMessage + one DeleteMessageBatch per worker batch, as a Lambda event source mapping makes them. Lambda invocations are worker batches. Step Functions cost = state transitions per execution (Standard: every state entered) × the per-transition price, per node of the shape.',
  '',
);
const failed = [...memory, ...dynamo].filter((row) => !row.ok);
if (failed.length > 0)
  lines.push(`**Runs that did not succeed:** ${failed.map((row) => row.shape.name).join(', ')}`, '');
// Only this benchmark's section is rewritten: the others' and the hand-written ones (chaos,
// retries, fuzzing) stay as they are.
const resultsFile = new URL('./RESULTS.md', import.meta.url);
const current = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
writeFileSync(resultsFile, replaceSection(current, 'engine', lines.join('\n').trimEnd()));
console.log(`\n${lines.join('\n')}`);
console.log(`\nwrote bench/RESULTS.md in ${fmt(performance.now() / 1000, 0)} s`);
process.exit(failed.length > 0 ? 1 : 0);
