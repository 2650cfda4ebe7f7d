import { DEFAULT_POOL } from '../../shared/config.ts';

/**
 * One worker pool: an SQS queue of ready nodes and the Lambda worker that drains it. Nodes pick a
 * pool with `pool:` in their definition; nodes without one run on `default`.
 */
export interface WorkerPoolSpec {
  /** Pool name as nodes refer to it: a lowercase letter, then up to 31 lowercase letters, digits or dashes. */
  readonly name: string;
  /**
   * Worker memory in MB (CPU scales with it; script nodes run inside the worker).
   * @default 1024
   */
  readonly memoryMb?: number;
  /**
   * Most workers of this pool running at once (the SQS event source's `maxConcurrency`, 2..1000).
   * @default 50
   */
  readonly maxConcurrency?: number;
  /**
   * Worker timeout in seconds (1..900). The queue's visibility timeout is six times this plus
   * the batching window, as AWS recommends for SQS event sources.
   * @default 60
   */
  readonly timeoutSeconds?: number;
  /**
   * How long the event source may wait to fill a batch of 10 (0..300 s). Every hop of a chain
   * of nodes can wait this long, so latency-sensitive pools set 0.
   * @default 1
   */
  readonly batchingWindowSeconds?: number;
  /**
   * X-Ray active tracing on this pool's worker. Off by default: a worker is invoked about once
   * per node in a chain, and at the default sampling (5% beyond one trace a second) tracing
   * would add about $0.25 per million invocations, more than the rest of the all-in budget left.
   * The worker's platform log lines (START, END, REPORT) are kept at WARN for the same reason.
   * @default false
   */
  readonly tracing?: boolean;
}

/** The longest name SQS gives a queue (CloudFormation-generated names are up to this long). */
export const MAX_QUEUE_NAME = 80;
/**
 * Bytes `SKEIN_POOL_QUEUES` and `SKEIN_POOL_TIMEOUTS` may take together at most: the api carries
 * both, and with them its other variables (tables, prefixes, the trigger schedules' group, role
 * and queue, the events topic, the webhook queue, Powertools: about 1.95 KB at their longest
 * generated names) must stay under Lambda's 4 KB.
 */
export const POOL_QUEUES_BUDGET = 2_050;

/** A pool with every default filled in. */
export type ResolvedWorkerPool = Required<WorkerPoolSpec>;

/** The pools of a deployment that configures none. */
export const DEFAULT_POOLS: readonly WorkerPoolSpec[] = [{ name: DEFAULT_POOL }];

const POOL_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const DEFAULTS = { memoryMb: 1024, maxConcurrency: 50, timeoutSeconds: 60, batchingWindowSeconds: 1 };
const BOUNDS: Record<keyof typeof DEFAULTS, readonly [number, number]> = {
  memoryMb: [128, 10_240],
  maxConcurrency: [2, 1000],
  timeoutSeconds: [1, 900],
  batchingWindowSeconds: [0, 300],
};

/**
 * Fills in defaults and checks every pool, throwing an error that shows the bad value: names
 * must be unique and valid, `default` must be present, numbers must be whole and in range.
 * @example resolvePools([{ name: 'default' }, { name: 'heavy', memoryMb: 4096, timeoutSeconds: 900 }])
 */
export function resolvePools(pools: readonly WorkerPoolSpec[]): ResolvedWorkerPool[] {
  if (!pools.some((pool) => pool.name === DEFAULT_POOL)) {
    throw new Error(
      `worker pools must include "${DEFAULT_POOL}" (nodes without "pool" run there), got ${JSON.stringify(pools)}`,
    );
  }
  const seen = new Set<string>();
  const resolved = pools.map((pool) => {
    if (typeof pool.name !== 'string' || !POOL_NAME.test(pool.name)) {
      throw new Error(`pool name must match ${POOL_NAME}, got ${JSON.stringify(pool.name)}`);
    }
    if (seen.has(pool.name)) throw new Error(`pool names must be unique, got "${pool.name}" twice`);
    seen.add(pool.name);
    const unknown = Object.keys(pool).filter(
      (key) => !['name', 'tracing'].includes(key) && !(key in DEFAULTS),
    );
    if (unknown.length > 0) {
      throw new Error(
        `pool "${pool.name}" has unknown settings ${unknown.join(', ')}; known: ${[...Object.keys(DEFAULTS), 'tracing'].join(', ')}`,
      );
    }
    if (pool.tracing !== undefined && typeof pool.tracing !== 'boolean') {
      throw new Error(
        `pool "${pool.name}": tracing must be true or false, got ${JSON.stringify(pool.tracing)}`,
      );
    }
    const given = Object.entries(pool).filter(([, value]) => value !== undefined);
    const resolved: ResolvedWorkerPool = {
      ...DEFAULTS,
      tracing: false,
      ...Object.fromEntries(given),
      name: pool.name,
    };
    for (const [key, [min, max]] of Object.entries(BOUNDS)) {
      const value = resolved[key as keyof typeof DEFAULTS];
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new Error(
          `pool "${pool.name}": ${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
        );
      }
    }
    return resolved;
  });
  assertPoolQueuesFit(resolved.map((pool) => pool.name));
  return resolved;
}

/**
 * The most bytes `SKEIN_POOL_QUEUES` (`{"<pool>":"<queue name>",...}`) can take for these pools,
 * whatever names CloudFormation gives the queues.
 * @example poolQueuesBytes(['default']) // 94
 */
export function poolQueuesBytes(names: readonly string[]): number {
  return (
    2 + names.reduce((sum, name) => sum + name.length + MAX_QUEUE_NAME + 6, 0) - (names.length > 0 ? 1 : 0)
  );
}

/**
 * Throws when the pools' queue names could push a function's environment past Lambda's 4 KB,
 * saying how many pools of these names fit.
 */
function assertPoolQueuesFit(names: readonly string[]): void {
  // SKEIN_POOL_TIMEOUTS: `<pool>=<seconds up to 900>`, comma-separated.
  const bytes = poolQueuesBytes(names) + names.reduce((sum, name) => sum + name.length + 5, 0);
  if (bytes <= POOL_QUEUES_BUDGET) return;
  const average = (bytes - 1) / names.length;
  const fit = Math.floor((POOL_QUEUES_BUDGET - 1) / average);
  throw new Error(
    `${names.length} worker pools need up to ${bytes} bytes of SKEIN_POOL_QUEUES and SKEIN_POOL_TIMEOUTS on the api ` +
      `(each pool: its name twice, a queue name of up to ${MAX_QUEUE_NAME} characters and a timeout), more than the ` +
      `${POOL_QUEUES_BUDGET} that keep the functions' environment under Lambda's 4 KB: use at most ${fit} pools ` +
      'with names this long, or shorter pool names',
  );
}

/**
 * Reads the `pools` CDK context: absent → `undefined` (the construct's default), a JSON string
 * (`-c pools='[{"name":"default"},{"name":"heavy","memoryMb":4096}]'`) or an array (cdk.json).
 * Only the shape is checked here; {@link resolvePools} checks the values.
 */
export function poolsFrom(raw: unknown): WorkerPoolSpec[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(
        `context "pools" must be a JSON array of pools, got ${raw}: ${(error as Error).message}`,
      );
    }
  }
  if (!Array.isArray(value) || !value.every((pool) => typeof pool === 'object' && pool !== null)) {
    throw new Error(
      `context "pools" must be an array of {name, memoryMb?, maxConcurrency?, timeoutSeconds?}, got ${JSON.stringify(value)}`,
    );
  }
  return value as WorkerPoolSpec[];
}

/** `gpu-heavy` → `GpuHeavy`: pool names inside construct ids and output names. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
