import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSource } from '../../shared/domain/validate.ts';
import { type NpmStart, runSkein, startNpmStart } from './npm-start.ts';

/** What the fake model answers, in turn: not a definition, then a valid one. */
const ANSWERS = [
  '{"nodes": {"greet": {"type": "script", "code": "return 1"}}}',
  JSON.stringify({
    description: 'Greets the world.',
    nodes: { greet: { type: 'script', language: 'js', code: 'return "hello";' } },
  }),
];

/** An OpenAI-compatible chat completions endpoint, as `SKEIN_AI_BASE_URL` points at. */
let model: Server;
const received: { model: string; messages: { role: string; content: string }[] }[] = [];
let server: NpmStart;

beforeAll(async () => {
  model = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push(JSON.parse(body));
      const content = ANSWERS[Math.min(received.length - 1, ANSWERS.length - 1)];
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
    });
  });
  await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
  const { port } = model.address() as AddressInfo;
  server = await startNpmStart([], {
    SKEIN_AI_BASE_URL: `http://127.0.0.1:${port}/v1`,
    SKEIN_AI_MODEL: 'fake-model',
  });
}, 60_000);

afterAll(() => {
  server?.stop();
  model?.close();
});

/** `skein ...` against the running npm start, found through its data folder (no --api, no --key). */
const skein = (...args: string[]) => runSkein(args, server.dataDir);

/** `skein ...` with no API around (the offline commands take no --data-dir). */
const offline = (...args: string[]) => runSkein(args);

describe('templates from the CLI', () => {
  it('skein templates lists the five built-in templates with their variables', async () => {
    // Act
    const listed = await offline('templates');
    // Assess
    expect(listed.code).toBe(0);
    for (const id of ['nightly-etl', 'approval', 'fan-out-map', 'scheduled-report', 'webhook-to-workflow']) {
      expect(listed.stdout).toMatch(new RegExp(`^${id} `, 'm'));
    }
    expect(listed.stdout).toContain('--var maxConcurrency=<integer>  (default 10)');
  });

  it('skein new writes a valid file that skein workflows publish publishes', async () => {
    // Prepare
    const file = join(server.dataDir, 'approval.yaml');
    // Act
    const written = await offline(
      'new',
      '--template',
      'approval',
      '--var',
      'approvalTimeout=2h',
      '--workflow',
      'purchase-approval',
      '--out',
      file,
    );
    const validated = await offline('validate', file);
    const published = await skein('workflows', 'publish', file);
    // Assess
    expect(written.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^ {4}timeout: 2h$/m);
    expect(validated.code).toBe(0);
    expect(published).toMatchObject({
      code: 0,
      stdout: 'published purchase-approval@1.0.0 for tenant "demo"\n',
    });
  });

  it('skein new refuses a bad variable with its JSON path and exit code 1', async () => {
    // Act
    const refused = await offline('new', '--template', 'fan-out-map', '--var', 'maxConcurrency=lots');
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('INVALID_VARIABLES');
    expect(refused.stderr).toContain('$.variables.maxConcurrency: expected integer, got string "lots"');
  });

  it('POST .../templates/{id}/instantiate publishes a version and creates its cron trigger', async () => {
    // Act
    const response = await fetch(`${server.url}/v1/tenants/demo/templates/nightly-etl/instantiate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'etl', variables: { schedule: '0 3 * * *' } }),
    });
    const body = (await response.json()) as { version: string; triggers: { created: string[] } };
    const trigger = await fetch(`${server.url}/v1/tenants/demo/triggers/etl-nightly`, {
      headers: { authorization: `Bearer ${server.key}` },
    });
    // Assess
    expect(response.status).toBe(201);
    expect(body.version).toBe('1.0.0');
    expect(body.triggers.created).toEqual(['etl-nightly']);
    expect(await trigger.json()).toMatchObject({
      workflow: 'etl',
      version: '1.0.0',
      cron: { expression: '0 3 * * *' },
      nextFireTimes: expect.any(Array),
    });
  });
});

describe('skein generate against npm start with an OpenAI-compatible model', () => {
  it('writes the definition of the second round, valid and unpublished', async () => {
    // Prepare
    const file = join(server.dataDir, 'generated.yaml');
    const before = await skein('workflows', 'list', '--json');
    // Act
    const generated = await skein('generate', 'a workflow that greets the world', '--out', file);
    const after = await skein('workflows', 'list', '--json');
    // Assess
    expect(generated.code).toBe(0);
    expect(generated.stderr).toContain('valid after 2 rounds (model fake-model); not published');
    expect(validateSource(readFileSync(file, 'utf8'), 'yaml').valid).toBe(true);
    expect(received).toHaveLength(2);
    const system = received[0]?.messages.find((m) => m.role === 'system')?.content ?? '';
    expect(system).toContain('"title":"Skein workflow definition"');
    expect(system).toContain(
      'ai, callback, condition, event, http, lambda, map, noop, script, wait, workflow',
    );
    expect(received[1]?.messages.at(-1)?.content).toContain('$.nodes.greet.language');
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
  });
});
