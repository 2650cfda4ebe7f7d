import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allInCostPerMillionNodes,
  costPerMillionNodes,
  loadPrices,
  PRICES_URL,
  stepFunctionsCostPerMillionNodes,
} from '../../bench/cost.ts';
import { percentile, summarize } from '../../bench/stats.ts';

// A fixture with the shape of <repo>/../shared/bench/prices.json, so the suite does not depend on
// a file outside the repository; read here independently of bench/cost.ts.
const pricesUrl = new URL('../fixtures/prices.json', import.meta.url);
const prices = JSON.parse(readFileSync(pricesUrl, 'utf8')) as Record<string, number>;
const fixture = loadPrices(pricesUrl);
const price = (key: string) => {
  const value = prices[key];
  if (typeof value !== 'number') throw new Error(`prices.json has no number "${key}"`);
  return value;
};

describe('costPerMillionNodes', () => {
  it('prices each service from prices.json', () => {
    // Prepare
    const counts = {
      writeUnits: 3,
      transactionalWriteUnits: 2,
      readUnits: 1.5,
      sqsRequests: 3,
      lambdaInvocations: 0.5,
    };
    const gbSecondsPerMillion =
      1_000_000 * (price('lambda_assumed_node_ms') / 1000) * (price('lambda_assumed_memory_mb') / 1024);
    const expected = {
      dynamodbWrites:
        (3 + 2 * price('dynamodb_transactional_write_multiplier')) *
        price('dynamodb_on_demand_per_million_write_units'),
      dynamodbReads: 1.5 * price('dynamodb_on_demand_per_million_read_units'),
      sqs: 3 * price('sqs_standard_per_million_requests'),
      lambdaRequests: 0.5 * price('lambda_per_million_requests'),
      lambdaCompute: gbSecondsPerMillion * price('lambda_arm64_per_gb_second'),
    };
    // Act
    const cost = costPerMillionNodes(counts, fixture);
    // Assess
    for (const [key, value] of Object.entries(expected)) {
      expect(cost[key as keyof typeof expected], key).toBeCloseTo(value, 10);
    }
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(cost.total).toBeCloseTo(total, 10);
  });

  it('charges no transactional writes when absent and no compute when nodes skip Lambda', () => {
    // Act
    const cost = costPerMillionNodes(
      {
        writeUnits: 1,
        readUnits: 0,
        sqsRequests: 0,
        lambdaInvocations: 0,
        lambdaMsPerNode: 0,
      },
      fixture,
    );
    // Assess
    expect(cost.dynamodbWrites).toBeCloseTo(price('dynamodb_on_demand_per_million_write_units'), 10);
    expect(cost.lambdaCompute).toBe(0);
    expect(cost.total).toBeCloseTo(cost.dynamodbWrites, 10);
  });

  it('refuses negative counts', () => {
    expect(() =>
      costPerMillionNodes({ writeUnits: -1, readUnits: 0, sqsRequests: 0, lambdaInvocations: 0 }, fixture),
    ).toThrow(/writeUnits/);
  });
});

describe('stepFunctionsCostPerMillionNodes', () => {
  it('is transitions per node times the Standard price per million transitions', () => {
    // Prepare
    const perMillion = price('stepfunctions_standard_per_million_transitions');
    // Act
    const chain = stepFunctionsCostPerMillionNodes(1000, 1000, fixture);
    const fanOutIn = stepFunctionsCostPerMillionNodes(1003, 1002, fixture);
    // Assess
    expect(chain).toBeCloseTo(perMillion, 10);
    expect(fanOutIn).toBeCloseTo((1003 / 1002) * perMillion, 10);
    expect(() => stepFunctionsCostPerMillionNodes(5, 0, fixture)).toThrow(RangeError);
  });
});

describe('loadPrices', () => {
  it('reads <repo>/../shared/bench/prices.json by default', () => {
    // Assess
    expect(PRICES_URL.href).toBe(new URL('../../../shared/bench/prices.json', import.meta.url).href);
  });

  it('reads every price it uses from the given file', () => {
    // Act
    const loaded = loadPrices(pricesUrl);
    // Assess
    expect(loaded.stepfunctions_standard_per_million_transitions).toBe(
      price('stepfunctions_standard_per_million_transitions'),
    );
    expect(loaded.lambda_assumed_memory_mb).toBe(price('lambda_assumed_memory_mb'));
  });

  it('names a missing or non-numeric price', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'skein-prices-')), 'prices.json');
    writeFileSync(file, JSON.stringify({ ...prices, lambda_arm64_per_gb_second: '0.1' }));
    // Act & Assess
    expect(() => loadPrices(file)).toThrow(/lambda_arm64_per_gb_second/);
  });
});

describe('summarize', () => {
  it('gives the mean and nearest-rank percentiles', () => {
    // Prepare
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i); // 200 … 1
    // Act
    const summary = summarize(samples);
    // Assess
    expect(summary).toEqual({ count: 200, mean: 100.5, p50: 100, p99: 198, min: 1, max: 200 });
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(summarize([7]).p99).toBe(7);
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('allInCostPerMillionNodes', () => {
  it('adds the monitor, SNS, logs and traces to the engine, each at its prices.json price', () => {
    // Prepare
    const engine = { writeUnits: 2, readUnits: 1, sqsRequests: 3, lambdaInvocations: 1 };
    const extra = {
      monitorInvocations: 0.5,
      monitorMs: 4,
      monitorMemoryMb: 512,
      monitorReadUnits: 0.25,
      snsPublishes: 0.2,
      logBytes: 1024,
      traces: 0.05,
    };
    // Act
    const cost = allInCostPerMillionNodes(engine, extra, fixture);
    // Assess
    const monitor =
      0.5 * price('lambda_per_million_requests') +
      1_000_000 * 0.004 * 0.5 * price('lambda_arm64_per_gb_second') +
      0.25 * price('dynamodb_on_demand_per_million_read_units');
    expect(cost.monitor).toBeCloseTo(monitor, 10);
    expect(cost.sns).toBeCloseTo(0.2 * price('sns_per_million_publishes'), 10);
    expect(cost.logs).toBeCloseTo(
      ((1_000_000 * 1024) / 1024 ** 3) * price('cloudwatch_logs_ingestion_per_gb'),
      10,
    );
    expect(cost.traces).toBeCloseTo(0.05 * price('xray_per_million_traces_recorded'), 10);
    expect(cost.total).toBeCloseTo(
      costPerMillionNodes(engine, fixture).total + cost.monitor + cost.sns + cost.logs + cost.traces,
      10,
    );
  });

  it('refuses a negative or missing count', () => {
    const engine = { writeUnits: 2, readUnits: 1, sqsRequests: 3, lambdaInvocations: 1 };
    const extra = {
      monitorInvocations: 0,
      monitorMs: 0,
      monitorMemoryMb: 512,
      monitorReadUnits: 0,
      snsPublishes: 0,
      logBytes: -1,
      traces: 0,
    };
    expect(() => allInCostPerMillionNodes(engine, extra, fixture)).toThrow(
      'logBytes must be a number >= 0, got -1',
    );
  });
});
