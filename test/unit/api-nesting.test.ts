import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/domain/limits.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { apiOnHarness } from './api-on-harness.ts';

const yaml = 'application/yaml';
const json = 'application/json';
const nestedArrays = (depth: number, leaf = '') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const publish = (workflow: string) => `/v1/tenants/${TENANT}/workflows/${workflow}/versions/1.0.0`;
const start = (workflow: string) => `/v1/tenants/${TENANT}/workflows/${workflow}/runs`;
const echo = {
  id: 'echo',
  inputs: { doc: { type: 'array' } },
  outputs: { doc: '{% $inputs.doc %}' },
  nodes: { a: { type: 'noop' } },
};

/** The error every deep body gets: a 400 LIMIT at `$`, in the engine's words nowhere. */
const tooDeep = {
  error: {
    code: 'LIMIT',
    message: expect.stringMatching(/more than 256 levels deep .*the limit is 256/),
    path: '$',
    errors: [expect.objectContaining({ code: 'LIMIT' })],
  },
};

describe('the API on deeply nested bodies', () => {
  it.each([
    ['YAML flow sequences 1,000 deep', nestedArrays(1000), yaml],
    ['JSON arrays 5,000 deep', nestedArrays(5000), json],
    ['JSON objects 10,000 deep', nestedObjects(10_000), json],
    ['YAML compact block sequences 5,000 deep', `${'- '.repeat(5000)}x`, yaml],
  ])('answers POST /v1/dag/validate with %s by a 400 naming the limit', async (_what, body, type) => {
    // Prepare
    const { call, logged } = await apiOnHarness({ withEngine: false });

    // Act
    const { status, json: answer } = await call('POST', '/v1/dag/validate', body, type);

    // Assess
    expect(status).toBe(400);
    expect(answer).toEqual(tooDeep);
    expect(JSON.stringify(answer)).not.toMatch(/call stack|RangeError/i);
    expect(logged).toEqual([]);
  });

  it.each([
    ['JSON', nestedObjects(10_000), json],
    ['YAML', nestedArrays(1000), yaml],
  ])('refuses to publish a %s definition nested too deeply with a 400', async (_what, body, type) => {
    // Prepare
    const { call } = await apiOnHarness({ withEngine: false });

    // Act
    const { status, json: answer } = await call('PUT', publish('deep'), body, type);

    // Assess
    expect(status).toBe(400);
    expect(answer).toEqual(tooDeep);
  });

  it('refuses run inputs nested too deeply with a 400 and starts no run', async () => {
    // Prepare
    const { harness, call } = await apiOnHarness();
    await harness.publish(echo);
    const body = `{"inputs":{"doc":${nestedArrays(10_000)}}}`;

    // Act
    const { status, json: answer } = await call('POST', start('echo'), body);

    // Assess
    expect(status).toBe(400);
    expect(answer).toEqual(tooDeep);
    expect(await harness.runs.listRuns(TENANT, {})).toMatchObject({ items: [] });
  });

  it('refuses a deep retry body with a 400 before looking for the run', async () => {
    // Prepare
    const { call } = await apiOnHarness();

    // Act
    const { status, json: answer } = await call(
      'POST',
      `/v1/tenants/${TENANT}/runs/nope/retry`,
      `{"nodes":${nestedArrays(5000)}}`,
    );

    // Assess
    expect(status).toBe(400);
    expect(answer).toEqual(tooDeep);
  });

  it('still runs a workflow whose inputs nest close to the limit', async () => {
    // Prepare: the body nests two levels (the object and "inputs") above the document.
    const { harness, call } = await apiOnHarness();
    await harness.publish(echo);
    const depth = LIMITS.maxNestingDepth - 2;
    const body = `{"inputs":{"doc":${nestedArrays(depth, '"leaf"')}}}`;

    // Act
    const { status, json: started } = await call('POST', start('echo'), body);
    await harness.drain();
    const run = await harness.engine.getRun(TENANT, started.runId);

    // Assess
    expect(status).toBe(202);
    expect(run.status).toBe('SUCCEEDED');
    expect(JSON.stringify(run.outputs)).toBe(
      JSON.stringify({ doc: JSON.parse(nestedArrays(depth, '"leaf"')) }),
    );
  });

  it('validates a YAML definition nested close to the limit', async () => {
    // Prepare: a `with` value 250 levels deep inside nodes.a.with (3 levels) and the document.
    const { call } = await apiOnHarness({ withEngine: false });
    const body = `nodes:\n  a:\n    type: noop\n    with:\n      deep: ${nestedArrays(250, '1')}\n`;

    // Act
    const { status, json: answer } = await call('POST', '/v1/dag/validate', body, yaml);

    // Assess
    expect(status).toBe(200);
    expect(answer).toMatchObject({ valid: true, order: [['a']] });
  });
});
