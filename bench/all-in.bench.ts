// The all-in cost per node (issue 9): the engine's requests as bench/engine.bench.ts counts them,
// plus what a deployment adds around them: the monitor (stream batches that pass its filter, its
// run reads, SNS publishes), CloudWatch Logs bytes and X-Ray traces, and the sweeper per active run
// per hour. Every part runs the real code on DynamoDB Local: nodes go through the Lambda worker
// handler with the AWS composition's logger, metrics and engine observer; the runs table's stream
// is read through the Streams API and given to the monitor handler; the sweeper sweeps real runs.
// Writes its section of bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { startDynamoDbStreamSource } from '../functions/local/dynamodb-stream-source.ts';
import { SWEEPER_MEMORY_MB } from '../infra/constructs/engine.ts';
import { MONITOR_BATCH_SIZE, MONITOR_MEMORY_MB } from '../infra/constructs/monitor.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryQueue } from '../shared/adapters/memory/queue.ts';
import { QueueRelayTimer } from '../shared/adapters/memory/queue-relay-timer.ts';
import { SandboxPool } from '../shared/adapters/sandbox/sandbox-pool.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { RunEngine } from '../shared/engine/run-engine.ts';
import { flowExecutors } from '../shared/executors/flow.ts';
import { NODE_EVENT_LEVELS, type NodeEventLevel } from '../shared/monitor/events.ts';
import { FakeClock } from '../shared/ports/clock.ts';
import { randomIds } from '../shared/ports/ids.ts';
import {
  type MonitorCounts,
  measureMonitor,
  tap,
  throughWorkerHandler,
  XRAY_SAMPLED,
} from './all-in-measure.ts';
import { aslFor } from './asl.ts';
import {
  type AllInCounts,
  allInCostPerMillionNodes,
  loadPrices,
  stepFunctionsCostPerMillionNodes,
} from './cost.ts';
import { countDynamoDb, type DynamoCounts, diffCounts, snapshot } from './dynamo-counting.ts';
import { engineBench, type QueueCounts } from './engine-driver.ts';
import { replaceSection } from './sections.ts';
import { benchmarkShapes } from './shapes.ts';

silenceSdkNodeVersionNotice();
// The AWS composition reads its stage when first imported.
process.env.SKEIN_STAGE ??= 'bench';
const { countMetric, logger } = await import('../functions/composition/aws-worker.ts');
const { logEngineEvent, logError } = await import('../functions/composition/aws-engine.ts');

const prices = loadPrices();
const DIAMOND_RUNS = 50;
const ACTIVE_RUNS = 200;
interface ShapeResult {
  readonly name: string;
  readonly nodes: number;
  readonly dynamo: DynamoCounts;
  readonly queue: QueueCounts;
  readonly workerLog: { bytes: number; events: number };
  readonly monitor: Record<NodeEventLevel, { busy: MonitorCounts; trickle: MonitorCounts }>;
  readonly stepFunctions: number;
  readonly ok: boolean;
}

const dynamoLocal = await startDynamoDbLocal({});
const tables = { definitions: 'allin-definitions', control: 'allin-control', runs: 'allin-runs' };
const engineSide = dynamoClients(dynamoLocal.endpoint);
const monitorSide = dynamoClients(dynamoLocal.endpoint);
await createTables(engineSide.client, tables);
const engineCounts = countDynamoDb(engineSide.client as DynamoDBClient);
const monitorCounts = countDynamoDb(monitorSide.client as DynamoDBClient);
const runs = new DynamoDbRunStore({ client: engineSide.doc, tableName: tables.runs });
const monitorStore = {
  doc: new DynamoDbRunStore({ client: monitorSide.doc, tableName: tables.runs }),
  counts: monitorCounts,
};
const collected: DynamoDBRecord[] = [];
const stream = await startDynamoDbStreamSource({
  endpoint: dynamoLocal.endpoint,
  tableName: tables.runs,
  startingPosition: 'LATEST',
  batchSize: 1000,
  pollIntervalMs: 20,
  handler: async (event) => {
    collected.push(...event.Records);
    return { batchItemFailures: [] };
  },
});

console.log(
  'All-in benchmark (noop nodes through the Lambda worker handler, DynamoDB Local, the stream to the monitor):',
);
const bench = engineBench(runs, 8, {
  deliver: throughWorkerHandler({ logger, countMetric }),
  observer: logEngineEvent,
});
const shapes = benchmarkShapes().filter((shape) => shape.name !== 'fan-out-10000');
const results: ShapeResult[] = [];
for (const shape of shapes) {
  await bench.publish(shape.definition);
  await bench.runToEnd(shape.definition.id); // warm-up
  await stream.caughtUp();
  collected.length = 0;
  const repeat = shape.kind === 'diamond' ? DIAMOND_RUNS : 1;
  const dynamoBefore = snapshot(engineCounts);
  const queueBefore = { ...bench.counts };
  let ok = true;
  tap.take();
  tap.on = true;
  for (let i = 0; i < repeat; i += 1)
    ok &&= (await bench.runToEnd(shape.definition.id)).status === 'run.succeeded';
  tap.on = false;
  const workerLog = tap.take();
  const dynamo = diffCounts(engineCounts, dynamoBefore);
  const queue = Object.fromEntries(
    Object.entries(bench.counts).map(([key, value]) => [key, value - queueBefore[key as keyof QueueCounts]]),
  ) as unknown as QueueCounts;
  await stream.caughtUp();
  const records = collected.splice(0);
  const monitor = {} as ShapeResult['monitor'];
  for (const level of NODE_EVENT_LEVELS) {
    monitor[level] = {
      busy: await measureMonitor(records, level, MONITOR_BATCH_SIZE, monitorStore, logError),
      trickle: await measureMonitor(records, level, 1, monitorStore, logError),
    };
  }
  const asl = aslFor(shape);
  results.push({
    name: shape.name,
    nodes: shape.nodes * repeat,
    dynamo,
    queue,
    workerLog,
    monitor,
    stepFunctions: stepFunctionsCostPerMillionNodes(asl.transitions, asl.nodes, prices),
    ok,
  });
  console.log(`  ${shape.name}: ${records.length} stream records, ${ok ? 'succeeded' : 'FAILED'}`);
}
await bench.stop();

// The sweeper per active run: runs waiting in the queue (no worker), swept by a second engine on
// the same store, once at the time they start (listed only) and once 3 minutes later (quiet: each
// run read node by node, as a run waiting on a long `wait` or a backlog is).
const idle = engineBench(runs, 0);
const waitingShape = { id: 'allin-waiting', version: '1.0.0', nodes: { only: { type: 'noop' as const } } };
await idle.publish(waitingShape);
for (let i = 0; i < ACTIVE_RUNS; i += 1)
  await idle.engine.startRun({ tenant: 'bench', workflow: waitingShape.id });
const sandbox = new SandboxPool();
async function sweepAt(offsetMs: number) {
  const clock = new FakeClock(Date.now() + offsetMs);
  const queue = new MemoryQueue({ clock, visibilitySeconds: 120 });
  const sweeper = new RunEngine({
    runs,
    definitions: idle.definitions,
    queue,
    timer: new QueueRelayTimer(queue, clock),
    clock,
    ids: randomIds,
    executors: flowExecutors(),
    sandbox,
    random: Math.random,
  });
  const before = snapshot(engineCounts);
  const started = performance.now();
  const report = await sweeper.sweep({});
  const ms = Math.ceil(performance.now() - started);
  return { report, ms, counts: diffCounts(engineCounts, before) };
}
const fresh = await sweepAt(0);
const quiet = await sweepAt(3 * 60_000);
console.log(
  `  sweeper: fresh ${JSON.stringify(fresh.counts.requests)}, quiet ${JSON.stringify(quiet.counts.requests)}`,
);
await idle.stop();
await sandbox.close();
await stream.stop();
engineSide.client.destroy();
monitorSide.client.destroy();
await dynamoLocal.stop();

const money = (value: number) => `$${value.toFixed(value < 0.01 && value > 0 ? 4 : 2)}`;
const fmt = (value: number, digits = 3) => value.toFixed(digits);

function costs(row: ShapeResult, level: NodeEventLevel, bound: 'busy' | 'trickle') {
  const n = row.nodes;
  const m = row.monitor[level][bound];
  const engine = {
    writeUnits: row.dynamo.writeUnits / n,
    readUnits: row.dynamo.readUnits / n,
    sqsRequests: (row.queue.sendRequests + row.queue.receiveRequests + row.queue.deleteRequests) / n,
    lambdaInvocations: row.queue.batches / n,
  };
  const extra: AllInCounts = {
    monitorInvocations: m.invocations / n,
    monitorMs: m.billedMs / n,
    monitorMemoryMb: MONITOR_MEMORY_MB,
    monitorReadUnits: m.readUnits / n,
    snsPublishes: m.snsPublishes / n,
    logBytes: (row.workerLog.bytes + m.logBytes) / n,
    traces: (m.invocations * XRAY_SAMPLED) / n,
  };
  return { extra, cost: allInCostPerMillionNodes(engine, extra, prices) };
}

const lines: string[] = [];
lines.push(
  '## All-in cost per node (`npm run bench`, bench/all-in.bench.ts)',
  '',
  `Measured on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}. Prices from prices.json.`,
  '',
  'Every node goes through the Lambda worker handler as deployed (Powertools batch, logger and metrics, the engine observer of the AWS composition) on DynamoDB Local; the runs table\'s stream is read through the Streams API and every record that passes the monitor mapping\'s filter criteria goes to the monitor handler (SNS mocked and counted, run reads counted on DynamoDB Local). "Engine" is the engine benchmark\'s count (DynamoDB, SQS, worker invocations and compute). "Monitor" is its invocations, compute (billed ms measured here, at its 512 MB) and run reads; "SNS" its publish requests (a PublishBatch of up to ten events per 64 KB); "logs" every byte the worker and the monitor wrote plus the monitor\'s platform lines (START, END, REPORT, XRAY; the worker\'s are at WARN), 26 bytes per log event; "X-Ray" the monitor\'s invocations at the default 5% sampling (workers are not traced).',
  '',
  'Default deployment (`nodeEvents: failures`: run events and node failures and retries):',
  '',
  '| shape | nodes measured | engine $/M | monitor | SNS | logs | X-Ray | **all-in $/M nodes** | Step Functions Standard $/M | stream records per node (passed the filter) | log bytes per node |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
);
for (const row of results) {
  const { cost, extra } = costs(row, 'failures', 'trickle');
  const passed = row.monitor.failures.trickle.invocations / row.nodes;
  lines.push(
    `| ${row.name} | ${row.nodes} | ${money(cost.engine.total)} | ${money(cost.monitor)} | ${money(cost.sns)} | ${money(cost.logs)} | ${money(cost.traces)} | **${money(cost.total)}** | ${money(row.stepFunctions)} | ${fmt(passed)} | ${fmt(extra.logBytes, 1)} |`,
  );
}
lines.push(
  '',
  'With every node event published (`-c nodeEvents=all`), a busy stream (batches of 100 records) and a trickle (each record its own invocation, the worst case of a slow chain):',
  '',
  '| shape | all-in $/M, busy | all-in $/M, trickle | events published per node | SNS $/M (trickle) | monitor $/M (trickle) | nodeEvents none, all-in $/M |',
  '|---|---|---|---|---|---|---|',
);
for (const row of results) {
  const busy = costs(row, 'all', 'busy').cost;
  const trickle = costs(row, 'all', 'trickle').cost;
  const none = costs(row, 'none', 'trickle').cost;
  lines.push(
    `| ${row.name} | ${money(busy.total)} | ${money(trickle.total)} | ${fmt(row.monitor.all.busy.events / row.nodes, 2)} | ${money(trickle.sns)} | ${money(trickle.monitor)} | ${money(none.total)} |`,
  );
}
const perRunHour = (sweep: typeof fresh) => {
  const units = sweep.counts.readUnits / ACTIVE_RUNS;
  const writes = sweep.counts.writeUnits / ACTIVE_RUNS;
  return {
    readUnits: units * 60,
    writeUnits: writes * 60,
    dollarsPerMillion:
      60 *
      (units * prices.dynamodb_on_demand_per_million_read_units +
        writes * prices.dynamodb_on_demand_per_million_write_units),
  };
};
const sweeperInvocationDollars =
  prices.lambda_per_million_requests / 1e6 +
  (Math.max(fresh.ms, quiet.ms) / 1000) * (SWEEPER_MEMORY_MB / 1024) * prices.lambda_arm64_per_gb_second;
const freshHour = perRunHour(fresh);
const quietHour = perRunHour(quiet);
lines.push(
  '',
  `The sweeper, per active run and hour (${ACTIVE_RUNS} one-node runs waiting, swept once as they started and once 3 minutes later, when each quiet run is read node by node): a run that shows progress costs ${fmt(freshHour.readUnits, 2)} read units an hour (its share of the active listing), a quiet one ${fmt(quietHour.readUnits, 2)} (plus a query of its nodes each sweep); the sweep's lease adds 6 write units a sweep whatever the load (${fmt(quietHour.writeUnits, 2)} per run-hour at ${ACTIVE_RUNS} runs). In all: ${money(freshHour.dollarsPerMillion)} per million run-hours for runs that progress, ${money(quietHour.dollarsPerMillion)} for quiet ones, so a run of 1,000 nodes active for an hour adds at most ${money(quietHour.dollarsPerMillion / 1000)} per million nodes. The sweep itself is one invocation a minute (${money(sweeperInvocationDollars * 60 * 24 * 30)} a month at the ${Math.max(fresh.ms, quiet.ms)} ms measured here). Requests per sweep: ${JSON.stringify(fresh.counts.requests)} as the runs started, ${JSON.stringify(quiet.counts.requests)} 3 minutes later.`,
  '',
  "Not counted per node: the API Gateway request of a run started over HTTP (not in prices.json) and the api function's invocation, both per run; monthly fixed costs (the sweeper's invocations above, the SQS event source's empty long polls, the dashboard, alarms and the KMS key).",
);
const failed = results.filter((row) => !row.ok);
if (failed.length > 0)
  lines.push('', `**Runs that did not succeed:** ${failed.map((row) => row.name).join(', ')}`);

const resultsFile = new URL('./RESULTS.md', import.meta.url);
writeFileSync(resultsFile, replaceSection(readFileSync(resultsFile, 'utf8'), 'all-in', lines.join('\n')));
console.log(`\n${lines.join('\n')}`);
process.exit(failed.length > 0 ? 1 : 0);
