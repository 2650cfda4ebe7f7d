// BullMQ + Redis as a DAG runner, written as a user of the queue would: one queue of node jobs, a
// worker whose processor, once its (no-op) node is done, counts the arrivals of children with
// several parents in Redis (INCR, pipelined in one round trip with the sink count) and adds the
// ready children with `addBulk`. The run is over when the last sink's count comes back.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import type { Shape } from '../shapes.ts';
import type { Contestant } from './contestant.ts';
import { afterNode, type DagPlan, planDag, released, runOver } from './dag.ts';

/** The part of an ioredis client this adapter uses. */
interface RedisClient {
  pipeline(): { incr(key: string): unknown; exec(): Promise<[Error | null, unknown][] | null> };
  quit(): Promise<unknown>;
}
type RedisConstructor = new (options: {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
}) => RedisClient;

/**
 * ioredis, BullMQ's Redis client (an optional peer dependency of BullMQ 6), loaded with
 * `require` so NODE_PATH can point at a copy installed elsewhere; a reason when it is missing.
 */
export function loadIoRedis(): RedisConstructor | string {
  try {
    const mod = createRequire(import.meta.url)('ioredis') as {
      default?: RedisConstructor;
    } & RedisConstructor;
    return mod.default ?? mod;
  } catch {
    return "ioredis (BullMQ's Redis client, an optional peer dependency) is not installed: npm install --save-dev ioredis";
  }
}

interface NodeJob {
  readonly run: string;
  readonly node: string;
}

const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: 100 } as const;

/** BullMQ on the Redis at `port`, its worker running `concurrency` jobs at a time. */
export function bullmqContestant(Redis: RedisConstructor, port: number, concurrency: number): Contestant {
  const connect = () => new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
  const counters = connect();
  // BullMQ takes an ioredis instance as its connection (its ESM build cannot load ioredis itself).
  const asConnection = (client: RedisClient) => client as unknown as ConnectionOptions;
  const queueClient = connect();
  const workerClient = connect();
  const queue = new Queue<NodeJob>('skein-peers-dag', { connection: asConnection(queueClient) });
  const waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  let plan: DagPlan | undefined;
  let runs = 0;

  const enqueue = (run: string, nodes: readonly string[]) =>
    nodes.length === 0
      ? Promise.resolve()
      : queue.addBulk(nodes.map((node) => ({ name: 'node', data: { run, node }, opts: JOB_OPTIONS })));

  const processor = async (job: Job<NodeJob>) => {
    const { run, node } = job.data;
    if (!plan) throw new Error('no shape prepared');
    const next = afterNode(plan, node); // the node itself is a no-op
    let ready = [...next.direct];
    if (next.counted.length > 0 || next.sink) {
      const pipeline = counters.pipeline();
      for (const child of next.counted) pipeline.incr(`dag:${run}:${child}`);
      if (next.sink) pipeline.incr(`dag:${run}:$sinks`);
      const replies = (await pipeline.exec()) ?? [];
      const counts = replies.map(([error, value]) => {
        if (error) throw error;
        return Number(value);
      });
      ready = ready.concat(released(plan, next.counted, counts.slice(0, next.counted.length)));
      if (next.sink && runOver(plan, counts.at(-1) ?? 0)) waiting.get(run)?.resolve();
    }
    await enqueue(run, ready);
  };
  const worker = new Worker<NodeJob>('skein-peers-dag', processor, {
    connection: asConnection(workerClient),
    concurrency,
  });
  worker.on('failed', (job, error) => {
    if (job) waiting.get(job.data.run)?.reject(error);
  });

  let closed = false;
  return {
    name: 'BullMQ + Redis',
    prepare: async (shape: Shape) => {
      plan = planDag(shape.definition);
      await worker.waitUntilReady();
    },
    run: async (shape: Shape) => {
      if (!plan) throw new Error('no shape prepared');
      runs += 1;
      const run = `${shape.name}-${runs}`;
      const started = performance.now();
      const done = new Promise<void>((resolve, reject) => waiting.set(run, { resolve, reject }));
      await enqueue(run, plan.roots);
      await done.finally(() => waiting.delete(run));
      return performance.now() - started;
    },
    finish: async () => {
      plan = undefined;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await worker.close();
      await queue.close();
      await Promise.all(
        [counters, queueClient, workerClient].map((client) => client.quit().catch(() => undefined)),
      );
    },
  };
}
