// Turns counted AWS requests into dollars per million workflow nodes, at the list prices of
// `<repo>/../shared/bench/prices.json` (read at run time: no price is written in this file).
import { readFileSync } from 'node:fs';

const REPO_ROOT = new URL('../', import.meta.url);

/** `<repo>/../shared/bench/prices.json`. */
export const PRICES_URL = new URL('../shared/bench/prices.json', REPO_ROOT);

const PRICE_KEYS = [
  'dynamodb_on_demand_per_million_write_units',
  'dynamodb_on_demand_per_million_read_units',
  'dynamodb_transactional_write_multiplier',
  'sqs_standard_per_million_requests',
  'lambda_per_million_requests',
  'lambda_arm64_per_gb_second',
  'lambda_assumed_node_ms',
  'lambda_assumed_memory_mb',
  'stepfunctions_standard_per_million_transitions',
  'sns_per_million_publishes',
  'cloudwatch_logs_ingestion_per_gb',
  'xray_per_million_traces_recorded',
] as const;

/** The prices (USD) and assumptions the cost functions use; the file may hold more. */
export type Prices = Readonly<Record<(typeof PRICE_KEYS)[number], number>>;

/**
 * Reads and checks the prices file (every key the cost functions use must be a number ≥ 0).
 * @example loadPrices().lambda_assumed_memory_mb // the value in prices.json
 */
export function loadPrices(url: URL | string = PRICES_URL): Prices {
  const raw = JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  const prices: Record<string, number> = {};
  for (const key of PRICE_KEYS) {
    const value = raw[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`${String(url)}: "${key}" must be a number >= 0, got ${JSON.stringify(value)}`);
    }
    prices[key] = value;
  }
  return prices as Prices;
}

let cached: Prices | undefined;
const defaultPrices = () => {
  cached ??= loadPrices();
  return cached;
};

/** Requests one node costs on average (over a run: total requests ÷ nodes). */
export interface NodeRequestCounts {
  /** DynamoDB write request units outside transactions. */
  readonly writeUnits: number;
  /** DynamoDB read request units (0.5 per eventually consistent 4 KB read, 1 per strong one). */
  readonly readUnits: number;
  /**
   * Write units of items written inside `TransactWriteItems`, before the transactional multiplier:
   * they are billed `dynamodb_transactional_write_multiplier` times.
   */
  readonly transactionalWriteUnits?: number;
  /** SQS requests (send, receive, delete; each 64 KB chunk of a payload is one request). */
  readonly sqsRequests: number;
  readonly lambdaInvocations: number;
  /**
   * Lambda compute per node in milliseconds; `lambda_assumed_node_ms` by default. Compute is
   * charged per node (whatever the batching), at `lambda_assumed_memory_mb` on arm64: pass 0 when
   * nodes run without Lambda.
   */
  readonly lambdaMsPerNode?: number;
}

/** Dollars per million nodes, by service. */
export interface CostBreakdown {
  readonly dynamodbWrites: number;
  readonly dynamodbReads: number;
  readonly sqs: number;
  readonly lambdaRequests: number;
  readonly lambdaCompute: number;
  readonly total: number;
}

const MILLION = 1_000_000;

/**
 * Dollars per million nodes for requests counted per node. A count per node times a price per
 * million requests is the price of a million nodes; Lambda compute is
 * 10⁶ × ms/1000 × MB/1024 GB-seconds at the arm64 price.
 * @example costPerMillionNodes({ writeUnits: 4, readUnits: 1, sqsRequests: 3, lambdaInvocations: 1 }).total
 */
export function costPerMillionNodes(
  counts: NodeRequestCounts,
  prices: Prices = defaultPrices(),
): CostBreakdown {
  for (const [key, value] of Object.entries(counts)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${key} must be a number >= 0, got ${value}`);
    }
  }
  const billedWrites =
    counts.writeUnits +
    (counts.transactionalWriteUnits ?? 0) * prices.dynamodb_transactional_write_multiplier;
  const ms = counts.lambdaMsPerNode ?? prices.lambda_assumed_node_ms;
  const gbSeconds = MILLION * (ms / 1000) * (prices.lambda_assumed_memory_mb / 1024);
  const parts = {
    dynamodbWrites: billedWrites * prices.dynamodb_on_demand_per_million_write_units,
    dynamodbReads: counts.readUnits * prices.dynamodb_on_demand_per_million_read_units,
    sqs: counts.sqsRequests * prices.sqs_standard_per_million_requests,
    lambdaRequests: counts.lambdaInvocations * prices.lambda_per_million_requests,
    lambdaCompute: gbSeconds * prices.lambda_arm64_per_gb_second,
  };
  const total = Object.values(parts).reduce((sum, part) => sum + part, 0);
  return { ...parts, total };
}

/**
 * Dollars per million nodes on Step Functions Standard, whose only charge for Pass-state
 * workflows is the state transition: transitions per run ÷ nodes per run × price per million.
 * @example stepFunctionsCostPerMillionNodes(fanOutAsl(1000).transitions, 1000)
 */
export function stepFunctionsCostPerMillionNodes(
  transitionsPerRun: number,
  nodesPerRun: number,
  prices: Prices = defaultPrices(),
): number {
  if (!(transitionsPerRun >= 0) || !(nodesPerRun > 0)) {
    throw new RangeError(`need transitions >= 0 and nodes > 0, got ${transitionsPerRun} and ${nodesPerRun}`);
  }
  return (transitionsPerRun / nodesPerRun) * prices.stepfunctions_standard_per_million_transitions;
}

/** What one node costs besides the engine's own requests (per node, averaged over runs). */
export interface AllInCounts {
  /** Monitor invocations: stream batches that passed the mapping's filter. */
  readonly monitorInvocations: number;
  /** Monitor compute, billed milliseconds (each invocation rounded up to 1 ms). */
  readonly monitorMs: number;
  /** The monitor function's memory. */
  readonly monitorMemoryMb: number;
  /** DynamoDB read units the monitor spends (run items read for node events). */
  readonly monitorReadUnits: number;
  /** SNS publish requests (a PublishBatch of up to 10 events is billed per 64 KB of payload). */
  readonly snsPublishes: number;
  /** CloudWatch Logs bytes ingested (26 bytes per log event included), every function together. */
  readonly logBytes: number;
  /** X-Ray traces recorded. */
  readonly traces: number;
}

/** Dollars per million nodes: the engine's breakdown and what the rest adds. */
export interface AllInBreakdown {
  readonly engine: CostBreakdown;
  readonly monitor: number;
  readonly sns: number;
  readonly logs: number;
  readonly traces: number;
  readonly total: number;
}

const GIGABYTE = 1024 ** 3;

/**
 * The all-in dollars per million nodes: the engine (`costPerMillionNodes`) plus the monitor's
 * invocations, compute and reads, SNS publishes, CloudWatch Logs ingestion and X-Ray traces.
 * @example allInCostPerMillionNodes(engineCounts, { monitorInvocations: 0.002, ... }).total
 */
export function allInCostPerMillionNodes(
  engine: NodeRequestCounts,
  extra: AllInCounts,
  prices: Prices = defaultPrices(),
): AllInBreakdown {
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${key} must be a number >= 0, got ${value}`);
    }
  }
  const engineCost = costPerMillionNodes(engine, prices);
  const monitorGbSeconds = MILLION * (extra.monitorMs / 1000) * (extra.monitorMemoryMb / 1024);
  const monitor =
    extra.monitorInvocations * prices.lambda_per_million_requests +
    monitorGbSeconds * prices.lambda_arm64_per_gb_second +
    extra.monitorReadUnits * prices.dynamodb_on_demand_per_million_read_units;
  const sns = extra.snsPublishes * prices.sns_per_million_publishes;
  const logs = ((MILLION * extra.logBytes) / GIGABYTE) * prices.cloudwatch_logs_ingestion_per_gb;
  const traces = extra.traces * prices.xray_per_million_traces_recorded;
  return {
    engine: engineCost,
    monitor,
    sns,
    logs,
    traces,
    total: engineCost.total + monitor + sns + logs + traces,
  };
}
