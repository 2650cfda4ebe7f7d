// The map benchmark (`npm run bench`): one `map` node over 10,000 `noop` items on DynamoDB Local,
// with the engine's requests counted by wrapping the clients, next to Step Functions Distributed
// Map at the prices of ../shared/bench/prices.json. Writes its section of bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { DynamoDbRunStore } from '../shared/adapters/aws/dynamodb-run-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { costPerMillionNodes, loadPrices } from './cost.ts';
import { countDynamoDb, diffCounts, snapshot } from './dynamo-counting.ts';
import { engineBench } from './engine-driver.ts';
import { replaceSection } from './sections.ts';

silenceSdkNodeVersionNotice();
const ITEMS = 10_000;
const CONCURRENCY = [100, 1000];
const prices = loadPrices();
const raw = JSON.parse(
  readFileSync(new URL('../../shared/bench/prices.json', import.meta.url), 'utf8'),
) as Record<string, number>;

const mapOf = (maxConcurrency: number) => ({
  id: `map-${maxConcurrency}`,
  version: '1.0.0',
  nodes: {
    each: {
      type: 'map',
      items: `{% [0..${ITEMS - 1}] %}`,
      maxConcurrency,
      node: { type: 'noop', with: { i: '{% $item %}' } },
    },
  },
});

interface Row {
  readonly maxConcurrency: number;
  readonly ms: number;
  readonly status: string;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly requests: Record<string, number>;
  readonly messages: number;
  readonly sqsRequests: number;
  readonly lambdaInvocations: number;
}

console.log(
  `Map benchmark: ${ITEMS.toLocaleString('en')} noop items on DynamoDB Local, 8 in-process workers`,
);
const local = await startDynamoDbLocal({});
const rows: Row[] = [];
try {
  const { client, doc } = dynamoClients(local.endpoint);
  const tables = { definitions: 'map-definitions', control: 'map-control', runs: 'map-runs' };
  await createTables(client, tables);
  const counts = countDynamoDb(client);
  const bench = engineBench(new DynamoDbRunStore({ client: doc, tableName: tables.runs }), 8);
  for (const maxConcurrency of CONCURRENCY) {
    const definition = mapOf(maxConcurrency);
    await bench.publish(definition);
    const before = snapshot(counts);
    const queueBefore = { ...bench.counts };
    const run = await bench.runToEnd(definition.id);
    const used = diffCounts(counts, before);
    const q = bench.counts;
    rows.push({
      maxConcurrency,
      ms: run.ms,
      status: run.status,
      writeUnits: used.writeUnits / ITEMS,
      readUnits: used.readUnits / ITEMS,
      requests: Object.fromEntries(Object.entries(used.requests).map(([name, n]) => [name, n / ITEMS])),
      messages: (q.messagesSent - queueBefore.messagesSent) / ITEMS,
      sqsRequests:
        (q.sendRequests +
          q.receiveRequests +
          q.deleteRequests -
          (queueBefore.sendRequests + queueBefore.receiveRequests + queueBefore.deleteRequests)) /
        ITEMS,
      lambdaInvocations: (q.batches - queueBefore.batches) / ITEMS,
    });
    console.log(`  maxConcurrency ${maxConcurrency}: ${run.status} in ${(run.ms / 1000).toFixed(1)} s`);
  }
  await bench.stop();
  client.destroy();
} finally {
  await local.stop();
}

const money = (value: number) => `$${value.toFixed(2)}`;
const fmt = (value: number, digits = 2) => value.toFixed(digits);
// Distributed Map: each item is a child workflow execution. Standard children are billed per state
// transition: at least 2 per item (the child's start and its one task state). Express children are
// billed per request plus duration, at least 100 ms at 64 MB, per item.
const standardPerItem = 2 * prices.stepfunctions_standard_per_million_transitions;
const expressPerItem =
  (raw.stepfunctions_express_per_million_requests ?? Number.NaN) +
  1_000_000 * 0.1 * (64 / 1024) * (raw.stepfunctions_express_per_gb_second ?? Number.NaN);
const lines = [
  '## Map: 10,000 items (cost per item)',
  '',
  `Measured by \`npm run bench\` (bench/map.bench.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores: one \`map\` node over ${ITEMS.toLocaleString('en')} \`noop\` items on DynamoDB Local 1.25.1, 8 in-process workers, requests counted by wrapping the clients. The work each item does (a Lambda running the task) costs the same on either side and is left out: the figures are what the orchestration adds per item.`,
  '',
  '| maxConcurrency | time | DynamoDB requests / item | write units / item | read units / item | messages / item | SQS requests / item | worker invocations / item | Skein $/M items | Distributed Map, Standard children $/M items | Distributed Map, Express children $/M items |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((row) => {
    const { writeUnits, readUnits, sqsRequests, lambdaInvocations } = row;
    const cost = costPerMillionNodes(
      { writeUnits, readUnits, sqsRequests, lambdaInvocations, lambdaMsPerNode: 0 },
      prices,
    );
    const requests = Object.values(row.requests).reduce((a, b) => a + b, 0);
    return `| ${row.maxConcurrency} | ${(row.ms / 1000).toFixed(1)} s${row.status === 'run.succeeded' ? '' : ` (${row.status})`} | ${fmt(requests)} | ${fmt(row.writeUnits)} | ${fmt(row.readUnits)} | ${fmt(row.messages)} | ${fmt(row.sqsRequests)} | ${fmt(row.lambdaInvocations)} | ${money(cost.total)} | ${money(standardPerItem)} | ${money(expressPerItem)} |`;
  }),
  '',
  'DynamoDB requests per item by command:',
  '',
  ...rows.map(
    (row) =>
      `- maxConcurrency ${row.maxConcurrency}: ${Object.entries(row.requests)
        .map(([name, n]) => `${name.replace('Command', '')} ${fmt(n, 3)}`)
        .join(', ')}`,
  ),
  '',
  'Per item, Skein writes the item once when the map starts (its value, lane and the item after it in its lane), claims and completes it (one conditional UpdateItem each), checks the run (one strongly consistent GetItem) and sends one message; only the last item of each lane counts the lane in a done-set. No item or message grows with the list. Distributed Map with Standard children is billed 2 transitions per item at least; with Express children, $1 per million requests plus 100 ms at 64 MB per item, which is cheaper than Skein per item, but Express children run at most 5 minutes, at least once, with no per-item retry state kept for a redrive.',
];
const resultsFile = new URL('./RESULTS.md', import.meta.url);
const current = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
writeFileSync(resultsFile, replaceSection(current, 'map', lines.join('\n')));
console.log(`\n${lines.join('\n')}`);
process.exit(rows.every((row) => row.status === 'run.succeeded') ? 0 : 1);
