// Cron fire precision on the local stack (`npm start`'s composition): DynamoDB Local in memory,
// fauxqs, the worker, and the CronScheduler with trigger state in the control table. N triggers
// fire every second (`* * * * * *`) for S seconds; a firing's lateness is the run's `createdAt`
// (written by startRun as it creates the run) minus the firing's scheduled time.
// Run by hand: node --import tsx bench/cron-precision.ts [--seconds 60] [--triggers 10] [--write]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { dynamoClients, startDynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import { startLocalRuntime } from '../functions/local/runtime.ts';
import { startLocalTriggers } from '../functions/local/triggers.ts';
import { DynamoDbTriggerStore } from '../shared/adapters/aws/dynamodb-trigger-store.ts';
import { createTables } from '../shared/adapters/aws/tables.ts';
import { MemoryDefinitionStore } from '../shared/adapters/memory/definition-store.ts';
import type { TriggerBody } from '../shared/domain/trigger-spec.ts';
import { publishDefinition } from '../shared/engine/publish-definition.ts';
import { putTrigger } from '../shared/engine/triggers/manage.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { randomIds } from '../shared/ports/ids.ts';
import { replaceSection } from './sections.ts';
import { summarize } from './stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    triggers: { type: 'string', default: '10' },
    write: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const count = Number(values.triggers);
const tenant = 'bench';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const db = await startDynamoDbLocal();
const { client, doc } = dynamoClients(db.endpoint);
const tables = { definitions: 'cron-definitions', control: 'cron-control', runs: 'cron-runs' };
await createTables(client, tables);
const definitions = new MemoryDefinitionStore();
await publishDefinition(
  { definitions, clock: systemClock },
  { tenant, workflowId: 'tick', version: '1.0.0', body: { id: 'tick', nodes: { a: { type: 'noop' } } } },
);
const runtime = await startLocalRuntime({
  doc,
  runsTable: tables.runs,
  definitions,
  clock: systemClock,
  ids: randomIds,
  onNotice: () => {},
});
const store = new DynamoDbTriggerStore({ client: doc, tableName: tables.control });
const triggers = await startLocalTriggers({
  store,
  engine: runtime.engine,
  definitions,
  clock: systemClock,
  ids: randomIds,
});
const body: TriggerBody = { type: 'cron', workflow: 'tick', schedule: '* * * * * *', overlap: 'allow_all' };
for (let i = 0; i < count; i++) await putTrigger(triggers.deps, tenant, `t${i}`, body);
console.log(`${count} triggers firing every second for ${seconds} s...`);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
triggers.stop();

const lateness: number[] = [];
let cursor: string | undefined;
do {
  const page = await runtime.engine.listRuns(tenant, { limit: 100, ...(cursor && { cursor }) });
  for (const run of page.items) {
    const full = await runtime.engine.getRunRecord(tenant, run.runId);
    if (full.trigger?.scheduledAt)
      lateness.push(Date.parse(full.createdAt) - Date.parse(full.trigger.scheduledAt));
  }
  cursor = page.cursor;
} while (cursor);
await runtime.stop();
client.destroy();
await db.stop();

const s = summarize(lateness);
const expected = count * seconds;
const lines = [
  '## Cron fire precision (local, `bench/cron-precision.ts`)',
  '',
  `${count} cron triggers firing every second (\`* * * * * *\`) for ${seconds} s on the local stack (DynamoDB Local in`,
  'memory, fauxqs, the worker, the CronScheduler with trigger state in the control table), on',
  `${cpus().length} cores. Lateness = the run's \`createdAt\` minus the firing's scheduled time.`,
  '',
  '| firings | expected | p50 | p99 | max | min |',
  '| ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${s.count} | ~${expected} | ${s.p50} ms | ${s.p99} ms | ${s.max} ms | ${s.min} ms |`,
  '',
  `Command: \`node --import tsx bench/cron-precision.ts --seconds ${seconds} --triggers ${count} --write\`.`,
];
console.log(lines.join('\n'));
if (values.write) {
  const file = new URL('./RESULTS.md', import.meta.url);
  writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), 'cron-precision', lines.join('\n')));
}
