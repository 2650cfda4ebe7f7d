import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failed, runFuzz } from '../../scripts/fuzz/runner.ts';
import { startInProcess } from '../../scripts/fuzz/targets.ts';
import type { FuzzTarget } from '../../scripts/fuzz/types.ts';
import { localDynamo, uniqueTableNames } from '../setup/dynamo.ts';

/**
 * The short version of `npm run fuzz`: a fixed seed, 800 requests over real HTTP to the API and
 * local runtime on DynamoDB Local (in this process, like `npm start` composes them). The verdict
 * does not depend on timing: every oracle is a property of each answer or of the seed's data.
 */
const SEED = 20_261_126;
let target: FuzzTarget;

beforeAll(async () => {
  target = await startInProcess({ dynamoEndpoint: localDynamo().endpoint, tables: uniqueTableNames('fuzz') });
}, 60_000);

afterAll(async () => {
  await target.stop();
});

describe('npm run fuzz (short, fixed seed)', () => {
  it('answers generated requests to every route with no 5xx, no leak, and leaves the seed data intact', async () => {
    // Act
    const result = await runFuzz(target, {
      seed: SEED,
      requests: 800,
      concurrency: 4,
      // The machine is shared while npm test runs: the bound is for a hung server, not a slow one.
      healthTimeoutMs: 10_000,
      shrink: 0,
    });

    // Assess
    expect(result.violations.filter((violation) => !violation.known)).toEqual([]);
    expect(result.stats.count5xx()).toBe(0);
    expect(result.seedProblems).toEqual([]);
    expect(result.canaryHits).toEqual([]);
    expect(result.unhandled).toEqual([]);
    expect(result.stats.fuzzerErrors).toEqual([]);
    expect(result.alive).toBe(true);
    expect(result.operations.filter((operation) => !result.stats.byRoute.has(operation))).toEqual([]);
    expect(result.stats.total).toBeGreaterThanOrEqual(800);
    expect(failed(result)).toBe(false);
  }, 180_000);
});
