// One process of the crash test (`sqlite-crash.test.ts`): an engine on the SQLite run store,
// definitions and queue of the database file `argv[2]`, with 4 pollers. `start` publishes the
// workflow and starts a run (printing `started <runId>`), then works; `resume` only works. Both
// exit once the run has ended, printing `ended <status>`. Leases (3 s) and visibility (2 s) are
// short so a process started after a SIGKILL takes the interrupted nodes over within seconds.
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueRelayTimer } from '../../shared/adapters/memory/queue-relay-timer.ts';
import { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { openSqlite } from '../../shared/adapters/sqlite/database.ts';
import { SqliteDefinitionStore } from '../../shared/adapters/sqlite/sqlite-definition-store.ts';
import { SqliteQueue } from '../../shared/adapters/sqlite/sqlite-queue.ts';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { RunEngine } from '../../shared/engine/run-engine.ts';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import { TERMINAL_RUN_STATUSES } from '../../shared/ports/run-store.ts';

/** Ten chains of 50 noop nodes between a root and a join: 502 nodes. */
function crashWorkflow() {
  const nodes: Record<string, { type: 'noop'; needs?: string[] }> = { root: { type: 'noop' } };
  for (let b = 0; b < 10; b++) {
    for (let i = 0; i < 50; i++)
      nodes[`b${b}n${i}`] = { type: 'noop', needs: [i === 0 ? 'root' : `b${b}n${i - 1}`] };
  }
  nodes.join = { type: 'noop', needs: Array.from({ length: 10 }, (_, b) => `b${b}n49`) };
  // Attempts left for the takeover of a node the kill interrupted while RUNNING (with one attempt,
  // the engine fails it WORKER_LOST: it never repeats a side effect beyond the retry policy).
  return {
    id: 'crash',
    version: '1.0.0',
    defaults: { retry: { maxAttempts: 5, initialDelay: '1s' } },
    nodes,
  };
}

const [path, mode, given] = process.argv.slice(2);
if (!path || (mode !== 'start' && mode !== 'resume'))
  throw new Error('usage: sqlite-crash-child.ts <db> start|resume [runId]');
const sqlite = openSqlite(path);
const runs = new SqliteRunStore({ database: sqlite, changeFeed: 'all' });
const definitions = new SqliteDefinitionStore(sqlite);
const queue = new SqliteQueue(sqlite, { name: 'work', visibilitySeconds: 2 });
const sandbox = new SandboxPool();
const engine = new RunEngine({
  runs,
  definitions,
  queue,
  timer: new QueueRelayTimer(queue, systemClock),
  clock: systemClock,
  ids: randomIds,
  executors: defaultExecutors({ script: { sandbox } }),
  sandbox,
  random: Math.random,
  settings: { defaultNodeTimeoutMs: 2_000, leaseGraceMs: 1_000 },
});

let runId = given;
if (mode === 'start') {
  const body = crashWorkflow();
  await publishDefinition(
    { definitions, clock: systemClock },
    { tenant: 't', workflowId: body.id, version: body.version, body },
  );
  ({
    run: { runId },
  } = await engine.startRun({ tenant: 't', workflow: 'crash' }));
  process.stdout.write(`started ${runId}\n`);
}

let ended: string | undefined;
const poll = async () => {
  while (!ended) {
    const batch = await queue.receive({ max: 10, waitSeconds: 1 });
    await Promise.all(
      batch.map(async (message) => {
        const result = await engine.handleMessage(message.body);
        if (result.kind === 'retry') await queue.changeVisibility(message.receipt, result.afterSeconds);
        else await queue.delete(message.receipt);
      }),
    );
  }
};
const pollers = Array.from({ length: 4 }, poll);
while (!ended) {
  const status = (await runs.getRun(runId ?? ''))?.status;
  if (status && TERMINAL_RUN_STATUSES.includes(status)) ended = status;
  else await sleep(20);
}
await Promise.all(pollers);
await sandbox.close();
sqlite.close();
process.stdout.write(`ended ${ended}\n`);
