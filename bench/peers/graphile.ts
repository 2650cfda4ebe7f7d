// graphile-worker + PostgreSQL as a DAG runner, written as a user of the queue would: a `node`
// task that, once its (no-op) node is done, counts the arrivals of children with several parents
// and the finished sinks in a counter table (one upsert ... RETURNING per node) and adds the ready
// children with `addJobs`. The run is over when the last sink's count comes back.
import { performance } from 'node:perf_hooks';
import {
  type JobHelpers,
  Logger,
  makeWorkerUtils,
  type Runner,
  run as runWorker,
  type WorkerUtils,
} from 'graphile-worker';
import type { Shape } from '../shapes.ts';
import type { Contestant } from './contestant.ts';
import { afterNode, type DagPlan, planDag, released, runOver } from './dag.ts';

interface NodeJob {
  readonly run: string;
  readonly node: string;
}

const SINKS = '$sinks';
const COUNT = `INSERT INTO dag_counts (run, key, n) SELECT $1, key, 1 FROM unnest($2::text[]) AS key
  ON CONFLICT (run, key) DO UPDATE SET n = dag_counts.n + 1 RETURNING key, n`;
const quiet = new Logger(() => () => undefined);

function isNodeJob(payload: unknown): payload is NodeJob {
  const job = payload as Partial<NodeJob> | null;
  return typeof job?.run === 'string' && typeof job.node === 'string';
}

/** graphile-worker on the PostgreSQL at `connectionString`, running `concurrency` jobs at a time. */
export async function graphileContestant(connectionString: string, concurrency: number): Promise<Contestant> {
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString, logger: quiet });
  await utils.migrate();
  await utils.withPgClient((client) =>
    client.query(
      'CREATE TABLE IF NOT EXISTS dag_counts (run text, key text, n int NOT NULL, PRIMARY KEY (run, key))',
    ),
  );
  const waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  let plan: DagPlan | undefined;
  let runs = 0;

  const node = async (payload: unknown, helpers: JobHelpers) => {
    if (!plan) throw new Error('no shape prepared');
    if (!isNodeJob(payload)) throw new Error('not a node job');
    const { run, node: id } = payload;
    const next = afterNode(plan, id); // the node itself is a no-op
    let ready = [...next.direct];
    const keys = next.sink ? [...next.counted, SINKS] : [...next.counted];
    if (keys.length > 0) {
      const { rows } = await helpers.query<{ key: string; n: number }>(COUNT, [run, keys]);
      const counts = new Map(rows.map((row) => [row.key, row.n]));
      ready = ready.concat(
        released(
          plan,
          next.counted,
          next.counted.map((child) => counts.get(child) ?? 0),
        ),
      );
      if (next.sink && runOver(plan, counts.get(SINKS) ?? 0)) waiting.get(run)?.resolve();
    }
    if (ready.length > 0)
      await helpers.addJobs(ready.map((child) => ({ identifier: 'node', payload: { run, node: child } })));
  };
  const runner: Runner = await runWorker({
    connectionString,
    concurrency,
    maxPoolSize: concurrency + 2,
    noHandleSignals: true,
    logger: quiet,
    taskList: { node },
  });
  runner.events.on('job:failed', ({ job, error }) => {
    if (isNodeJob(job.payload))
      waiting.get(job.payload.run)?.reject(error instanceof Error ? error : new Error(String(error)));
  });

  let closed = false;
  return {
    name: 'graphile-worker + PostgreSQL',
    prepare: async (shape: Shape) => {
      plan = planDag(shape.definition);
    },
    run: async (shape: Shape) => {
      if (!plan) throw new Error('no shape prepared');
      runs += 1;
      const run = `${shape.name}-${runs}`;
      const started = performance.now();
      const done = new Promise<void>((resolve, reject) => waiting.set(run, { resolve, reject }));
      await utils.addJobs(plan.roots.map((root) => ({ identifier: 'node', payload: { run, node: root } })));
      await done.finally(() => waiting.delete(run));
      return performance.now() - started;
    },
    finish: async () => {
      plan = undefined;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await runner.stop();
      await utils.release();
    },
  };
}
