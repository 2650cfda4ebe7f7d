// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the template placeholder syntax under test
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { MemoryTriggerStore } from '../../shared/adapters/memory/trigger-store.ts';
import { type ApiDeps, createApp } from '../../shared/api/app.ts';
import { validateDefinition } from '../../shared/domain/validate.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { EXAMPLE_DEFINITION } from '../../shared/engine/generate-definition.ts';
import type { TriggerDeps } from '../../shared/engine/triggers/deps.ts';
import type { AiModels, AiRequest } from '../../shared/ports/ai-models.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { Json } from './api-on-harness.ts';

/** A deterministic model: answers from the script in turn, and records what it was sent. */
function scriptedModel(answers: readonly string[], allow = (_model: string) => true) {
  const requests: AiRequest[] = [];
  const models: AiModels = {
    defaultModel: 'fake-model',
    allows: allow,
    converse: async (request) => {
      requests.push(request);
      const text = answers[Math.min(requests.length - 1, answers.length - 1)] ?? '';
      return { text };
    },
  };
  return { models, requests };
}

async function setup(extra: Partial<ApiDeps> = {}) {
  const clock = new FakeClock();
  const apiKeys = new MemoryApiKeyStore();
  const ids = sequentialIds('k');
  const acme = await createApiKey({ apiKeys, clock, ids }, 'acme');
  const globex = await createApiKey({ apiKeys, clock, ids }, 'globex');
  const definitions = new MemoryDefinitionStore();
  const logged: unknown[] = [];
  const unused = async () => {
    throw new Error('no run starts in these tests');
  };
  const triggers: TriggerDeps = {
    triggers: new MemoryTriggerStore(),
    runner: { evaluateTemplate: unused, startRun: unused, getRunRecord: unused, cancel: unused },
    definitions,
    clock,
    ids,
  };
  const app = createApp({
    definitions,
    triggers,
    clock,
    apiKeys,
    ids,
    storeName: 'memory',
    nodeTypes: {
      types: ['http', 'noop', 'script', 'map', 'callback', 'condition'],
      where: 'this test Skein',
    },
    log: (_m, error) => logged.push(error),
    ...extra,
  });
  const call = async (method: string, path: string, body?: unknown, key = acme.key) => {
    const response = await app.request(path, {
      method,
      headers: {
        ...(key !== '' && { authorization: `Bearer ${key}` }),
        'content-type': 'application/json',
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json };
  };
  return { call, definitions, triggers, logged, globexKey: globex.key };
}

const VALID = JSON.stringify({
  description: 'Fetches a page and counts its bytes.',
  nodes: {
    fetch: { type: 'http', with: { url: 'https://example.com/', method: 'GET' } },
    count: {
      type: 'script',
      language: 'js',
      needs: ['fetch'],
      with: { body: '{% $nodes.fetch.output.body %}' },
      code: 'return String(inputs.body).length;',
    },
  },
});
const INVALID = JSON.stringify({ nodes: { fetch: { type: 'http', needs: ['nowhere'] } } });

describe('the template routes', () => {
  it('list and show the built-in templates behind an API key', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const anonymous = await call('GET', '/v1/templates', undefined, '');
    const list = await call('GET', '/v1/templates');
    const one = await call('GET', '/v1/templates/nightly-etl');
    const missing = await call('GET', '/v1/templates/nightly-elt');
    // Assess
    expect(anonymous.status).toBe(401);
    expect(list.status).toBe(200);
    expect(list.json.items).toHaveLength(5);
    expect(list.json.items[0]).toMatchObject({
      id: 'nightly-etl',
      variables: { maxAttempts: { type: 'integer', default: 3 } },
      suggests: { triggers: 1, subscriptions: 0 },
    });
    expect(one.status).toBe(200);
    expect(one.json.definition.nodes.extract.with.url).toBe('${sourceUrl}');
    expect(one.json.triggers[0].body).toMatchObject({ type: 'cron', schedule: '${schedule}' });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    expect(missing.json.error.message).toContain('did you mean "nightly-etl"?');
  });

  it('instantiate publishes a version through the publish path, the next minor the second time', async () => {
    // Prepare
    const { call, definitions } = await setup();
    const path = '/v1/tenants/acme/templates/fan-out-map/instantiate';
    // Act
    const first = await call('POST', path, { workflow: 'notify', variables: { maxConcurrency: 4 } });
    const second = await call('POST', path, { workflow: 'notify', variables: { method: 'PUT' } });
    const read = await call('GET', '/v1/tenants/acme/workflows/notify/versions/1.0.0');
    // Assess
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      workflowId: 'notify',
      version: '1.0.0',
      created: true,
      template: 'fan-out-map',
      variables: { maxConcurrency: 4, method: 'POST', itemUrl: 'https://example.com/items' },
      suggested: { subscriptions: [] },
    });
    expect(second.status).toBe(201);
    expect(second.json.version).toBe('1.1.0');
    expect(read.json.definition.nodes.each.maxConcurrency).toBe(4);
    expect((await definitions.getWorkflow('acme', 'notify'))?.latest).toBe('1.1.0');
  });

  it('instantiate creates the trigger its definition declares and returns the suggested subscription, not created', async () => {
    // Prepare
    const { call, triggers } = await setup();
    // Act
    const answer = await call('POST', '/v1/tenants/acme/templates/scheduled-report/instantiate', {
      variables: { email: 'ops@acme.example' },
    });
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.json.triggers).toMatchObject({ created: ['scheduled-report-schedule'] });
    expect(await triggers.triggers.get('acme', 'scheduled-report-schedule')).toMatchObject({
      type: 'cron',
      workflow: 'scheduled-report',
      version: '1.0.0',
      cron: { expression: '0 8 * * 1', timezone: 'UTC' },
      definedBy: { workflow: 'scheduled-report', version: '1.0.0' },
    });
    expect(answer.json.suggested.subscriptions[0]).toMatchObject({
      path: '/v1/tenants/acme/subscriptions/scheduled-report-mail',
      body: { endpoint: { kind: 'email', address: 'ops@acme.example' } },
    });
  });

  it.each([
    [
      'a bad variable',
      'approval',
      { variables: { approvalTimeout: 12 } },
      422,
      'INVALID_VARIABLES',
      '$.variables.approvalTimeout',
    ],
    ['a missing one', 'scheduled-report', {}, 422, 'INVALID_VARIABLES', '$.variables.email'],
    ['an unknown field', 'approval', { varaibles: {} }, 400, 'SCHEMA', '$.varaibles'],
    ['a bad workflow id', 'approval', { workflow: 'Not An Id' }, 400, 'INVALID_WORKFLOW_ID', undefined],
    ['an unknown template', 'approvals', {}, 404, 'TEMPLATE_NOT_FOUND', undefined],
  ])('instantiate refuses %s', async (_what, id, body, status, code, path) => {
    // Prepare
    const { call, definitions } = await setup();
    // Act
    const answer = await call('POST', `/v1/tenants/acme/templates/${id}/instantiate`, body);
    // Assess
    expect(answer.status).toBe(status);
    expect(answer.json.error.code).toBe(code);
    if (path) expect(answer.json.error.path).toBe(path);
    expect((await definitions.listWorkflows('acme', { limit: 10 })).items).toEqual([]);
  });

  it("instantiate answers 404 for another tenant's path", async () => {
    // Prepare
    const { call, globexKey } = await setup();
    // Act
    const answer = await call('POST', '/v1/tenants/acme/templates/approval/instantiate', {}, globexKey);
    // Assess
    expect(answer.status).toBe(404);
  });
});

describe('POST .../generate', () => {
  it('feeds the validation errors back and returns the valid definition of round 2, unpublished', async () => {
    // Prepare
    const { models, requests } = scriptedModel([INVALID, `\`\`\`json\n${VALID}\n\`\`\``]);
    const { call, definitions } = await setup({ generate: { models } });
    // Act
    const answer = await call('POST', '/v1/tenants/acme/generate', { prompt: 'count the bytes of a page' });
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ format: 'yaml', rounds: 2, valid: true, model: 'fake-model' });
    expect(validateDefinition(parse(answer.json.definition)).valid).toBe(true);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.system).toContain('"$schema":"https://json-schema.org/draft/2020-12/schema"');
    expect(requests[0]?.system).toContain('callback, condition');
    expect(requests[0]?.system).toContain('this test Skein');
    expect(requests[0]?.system).toContain(JSON.stringify(EXAMPLE_DEFINITION));
    expect(validateDefinition(EXAMPLE_DEFINITION).errors).toEqual([]);
    expect(requests[0]?.prompt).toContain('count the bytes of a page');
    expect(requests[1]?.prompt).toContain(INVALID);
    expect(requests[1]?.prompt).toContain('$.nodes.fetch.needs[0]');
    expect((await definitions.listWorkflows('acme', { limit: 10 })).items).toEqual([]);
  });

  it('answers 422 GENERATION_FAILED with the last errors after 4 answers that are not definitions', async () => {
    // Prepare
    const { models, requests } = scriptedModel(['I cannot do that.', '{"nodes": 3', 'null', '- a\n- b']);
    const { call } = await setup({ generate: { models } });
    // Act
    const answer = await call('POST', '/v1/tenants/acme/generate', { prompt: 'anything' });
    // Assess
    expect(answer.status).toBe(422);
    expect(answer.json.error.code).toBe('GENERATION_FAILED');
    expect(answer.json.error.message).toContain('4 rounds');
    expect(answer.json.error.errors.length).toBeGreaterThan(0);
    expect(requests).toHaveLength(4);
  });

  it('counts a node type this deployment does not run as an error to repair', async () => {
    // Prepare
    const lambda = JSON.stringify({ nodes: { f: { type: 'lambda', function: 'pricer' } } });
    const { models, requests } = scriptedModel([lambda, VALID]);
    const { call } = await setup({ generate: { models } });
    // Act
    const answer = await call('POST', '/v1/tenants/acme/generate', { prompt: 'call pricer', format: 'json' });
    // Assess
    expect(answer.json).toMatchObject({ rounds: 2, format: 'json' });
    expect(JSON.parse(answer.json.definition)).toEqual(JSON.parse(VALID));
    expect(requests[1]?.prompt).toContain('$.nodes.f.type');
  });

  it('answers 501 AI_UNAVAILABLE without a model, 400 without a prompt, 422 for a model not allowed', async () => {
    // Prepare
    const none = await setup();
    const { models } = scriptedModel([VALID], (model) => model === 'fake-model');
    const some = await setup({ generate: { models } });
    // Act
    const off = await none.call('POST', '/v1/tenants/acme/generate', { prompt: 'x' });
    const empty = await some.call('POST', '/v1/tenants/acme/generate', { prompt: '  ' });
    const other = await some.call('POST', '/v1/tenants/acme/generate', { prompt: 'x', model: 'big' });
    // Assess
    expect(off.status).toBe(501);
    expect(off.json.error.code).toBe('AI_UNAVAILABLE');
    expect(off.json.error.message).toContain('SKEIN_AI_BASE_URL');
    expect(empty.status).toBe(400);
    expect(empty.json.error.path).toBe('$.prompt');
    expect(other.status).toBe(422);
    expect(other.json.error).toMatchObject({ code: 'MODEL_NOT_ALLOWED', path: '$.model' });
  });

  it('answers 502 AI_MODEL_FAILED when the model cannot be called, never a 500', async () => {
    // Prepare
    const models: AiModels = {
      defaultModel: 'm',
      allows: () => true,
      converse: async () => {
        throw new Error('503 Service Unavailable');
      },
    };
    const { call, logged } = await setup({ generate: { models } });
    // Act
    const answer = await call('POST', '/v1/tenants/acme/generate', { prompt: 'x' });
    // Assess
    expect(answer.status).toBe(502);
    expect(answer.json.error).toMatchObject({ code: 'AI_MODEL_FAILED' });
    expect(answer.json.error.message).toContain('503 Service Unavailable');
    expect(logged).toEqual([]);
  });
});

describe('/openapi.json', () => {
  it('documents the template and generate routes', async () => {
    // Prepare
    const { call } = await setup();
    // Act
    const doc = await call('GET', '/openapi.json');
    // Assess
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/templates',
        '/v1/templates/{id}',
        '/v1/tenants/{tenant}/templates/{id}/instantiate',
        '/v1/tenants/{tenant}/generate',
      ]),
    );
    expect(Object.keys(doc.json.paths['/v1/tenants/{tenant}/generate'].post.responses)).toContain('501');
  });
});
