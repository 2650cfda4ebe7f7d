import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeRunApi } from '../fixtures/run/fake-run-api.ts';

const exec = promisify(execFile);
const bin = new URL('../../cli/bin.js', import.meta.url).pathname;
const fixtures = new URL('../fixtures/run/', import.meta.url).pathname;
const greet = join(fixtures, 'greet.yaml');
const flaky = join(fixtures, 'flaky.yaml');
const cycle = join(fixtures, 'cycle.yaml');

/** Runs `skein ...` as a user would and returns its exit code and output. */
async function skein(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { timeout: 45_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('skein run (in-process, memory store)', () => {
  it('prints one JSON document with the outputs and every node when the run succeeds', async () => {
    // Act
    const result = await skein('run', greet, '--json');
    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      runId: expect.any(String),
      status: 'SUCCEEDED',
      outputs: { greeting: 'Hello, world! x2', times: 1 },
      nodes: {
        hello: { status: 'SUCCEEDED', attempts: 1, output: 'Hello, world!' },
        count: { status: 'SUCCEEDED', attempts: 1, output: 2 },
        join: { status: 'SUCCEEDED', attempts: 1, output: 'Hello, world! x2' },
      },
    });
  });

  it('reads --input values as JSON when they parse and lets them override --inputs-json', async () => {
    // Act
    const result = await skein(
      'run',
      greet,
      '--json',
      '--input',
      'name=Ada Lovelace',
      '--input',
      'times=3',
      '--inputs-json',
      '{"loud": true, "name": "ignored"}',
    );
    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).outputs).toEqual({ greeting: 'HELLO, ADA LOVELACE! x6', times: 3 });
  });

  it('exits 1 and reports the failed node and the run error in JSON when the run fails', async () => {
    // Act
    const result = await skein('run', flaky, '--json');
    // Assess
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      status: 'FAILED',
      outputs: null,
      error: { code: 'SCRIPT_ERROR', nodeId: 'boom' },
      nodes: {
        side: { status: 'SUCCEEDED', attempts: 1 },
        boom: {
          status: 'FAILED',
          attempts: 2,
          error: { code: 'SCRIPT_ERROR', message: 'kaboom on attempt 2' },
        },
        after: { status: 'SKIPPED' },
      },
    });
  });

  it('prints a line per node event, then the run status, in human mode', async () => {
    // Act
    const result = await skein('run', flaky);
    // Assess
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    const time = String.raw`\d\d:\d\d:\d\d\.\d{3}  `;
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${time}▶ boom started \\(attempt 1\\)$`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${time}✔ side succeeded$`)));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${time}↻ boom retrying in [01](\\.\\d)?s .*kaboom on attempt 1`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(/✖ boom failed: SCRIPT_ERROR kaboom on attempt 2$/));
    expect(lines).toContainEqual(expect.stringMatching(/⤼ after skipped: parent "boom" failed/));
    expect(result.stdout).toMatch(/✖ run \S+ \(flaky@1\.0\.0\) FAILED in [\d.]+s\n {2}error: SCRIPT_ERROR/);
  });

  it('prints what scripts log under their node, before the node ends, in human mode', async () => {
    // Act
    const result = await skein('run', join(fixtures, 'chatty.yaml'));

    // Assess
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').map((line) => line.slice(14));
    expect(lines).toContain('│ transform: rows 3 {"ok":true}');
    expect(lines).toContain('│ transform: warn: slow upstream');
    expect(lines).toContain('│ report: done\t3');
    expect(lines.indexOf('│ transform: warn: slow upstream')).toBeLessThan(
      lines.indexOf('✔ transform succeeded'),
    );
  });

  it('prints the outputs as pretty JSON after the status line in human mode', async () => {
    // Act
    const result = await skein('run', greet, '--input', 'times=2');
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✔ join succeeded/);
    expect(result.stdout).toContain(
      `SUCCEEDED in ${result.stdout.match(/SUCCEEDED in ([\d.]+s)/)?.[1]}\noutputs:\n{\n  "greeting": "Hello, world! x4",\n  "times": 2\n}`,
    );
  });

  it('prints validation problems exactly like skein validate and exits 2', async () => {
    // Act
    const [run, validate] = await Promise.all([skein('run', cycle), skein('validate', cycle)]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe(validate.stdout);
    expect(run.stdout).toMatch(/CYCLE\s+\$\.nodes\.a\.needs\[0\]\s+cycle a -> b -> a/);
  });

  it('prints bad run inputs like validation problems and exits 2', async () => {
    // Act
    const result = await skein('run', greet, '--input', 'times=many', '--input', 'nmae=x');
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid run inputs');
    expect(result.stdout).toMatch(/SCHEMA\s+\$\.inputs\.times\s+expected integer/);
    expect(result.stdout).toMatch(/SCHEMA\s+\$\.inputs\.nmae\s+unknown input "nmae"; did you mean "name"\?/);
  });

  it('exits 2 with a message on stderr for bad usage', async () => {
    // Act
    const results = await Promise.all([
      skein('run', greet, '--input', 'times'),
      skein('run', greet, '--inputs-json', '{nope'),
      skein('run', greet, '--inputs-json', '[1, 2]'),
      skein('run', greet, '--api', 'http://127.0.0.1:9'),
      skein('run', greet, '--store', 'postgres'),
      skein('run', join(fixtures, 'missing.yaml')),
    ]);
    // Assess
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(results.map((r) => r.stderr.trim())).toEqual([
      expect.stringContaining('--input "times" must be key=value'),
      expect.stringContaining('--inputs-json is not valid JSON'),
      expect.stringContaining('--inputs-json must be a JSON object'),
      expect.stringContaining('--api needs --key'),
      expect.stringContaining('unknown --store "postgres"'),
      expect.stringContaining('cannot read'),
    ]);
  });

  it('cancels the run on Ctrl-C, says so and exits 1', async () => {
    // Prepare
    const child = spawn(process.execPath, [bin, 'run', join(fixtures, 'nap.yaml')], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('nap waiting')) resolve();
      }),
    );
    // Act
    child.kill('SIGINT');
    const code = await exited;
    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/Interrupted: run \S+ was cancelled/);
    expect(stdout).toMatch(/⊘ nap cancelled/);
    expect(stdout).toMatch(/CANCELLED/);
  });
});

describe.each([
  ['local', 'the embedded SQLite store (a throw-away file)'],
  ['dynamodb', 'DynamoDB Local and fauxqs'],
])('skein run --store %s', (store, what) => {
  it(`runs on ${what} and stops them at the end`, async () => {
    // Act
    const result = await skein('run', greet, '--store', store, '--json', '--input', 'name=Local');
    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      outputs: { greeting: 'Hello, Local! x2' },
      nodes: { join: { status: 'SUCCEEDED', attempts: 1 } },
    });
  });
});

describe('skein run --api', () => {
  let api: Awaited<ReturnType<typeof startFakeRunApi>>;
  beforeAll(async () => {
    api = await startFakeRunApi();
  });
  afterAll(() => api.close());

  it('publishes the file, starts a run and polls it, printing node changes until it ends', async () => {
    // Act
    const result = await skein('run', greet, '--api', api.url, '--key', api.key, '--input', 'times=1');
    // Assess
    expect(result.code).toBe(0);
    const [publish, start] = api.received;
    expect(publish).toMatchObject({
      method: 'PUT',
      path: '/v1/tenants/demo/workflows/greet/versions/0.0.0-local',
      authorization: `Bearer ${api.key}`,
      body: { id: 'greet', nodes: { join: { needs: ['hello', 'count'] } } },
    });
    expect(start).toMatchObject({
      method: 'POST',
      path: '/v1/tenants/demo/workflows/greet/runs',
      body: { version: '0.0.0-local', inputs: { times: 1 } },
    });
    expect(
      api.received
        .slice(2)
        .every(
          (r) => r.method === 'GET' && r.path.startsWith('/v1/tenants/demo/runs/run-1?limit=1000&outputs='),
        ),
    ).toBe(true);
    expect(api.received.at(-1)?.path).toBe('/v1/tenants/demo/runs/run-1?limit=1000&outputs=true');
    expect(result.stdout).toMatch(/▶ hello started \(attempt 1\)/);
    expect(result.stdout).toMatch(/↻ count retrying in [12](\.\d)?s \(attempt 1: HTTP_503 unavailable\)/);
    expect(result.stdout).toMatch(/✔ join succeeded/);
    expect(result.stdout).toMatch(/✔ run run-1 \(greet@0\.0\.0-local\) SUCCEEDED in 1s\noutputs:/);
  });

  it('explains a version that exists with another body and hints to bump it', async () => {
    // Prepare
    const changed = join(mkdtempSync(join(tmpdir(), 'skein-run-')), 'greet.yaml');
    writeFileSync(changed, `${readFileSync(greet, 'utf8')}description: changed\n`);
    await skein('run', greet, '--api', api.url, '--key', api.key, '--version', '1.0.0', '--json');
    // Act
    const result = await skein('run', changed, '--api', api.url, '--key', api.key, '--version', '1.0.0');
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('could not publish greet@1.0.0: VERSION_EXISTS');
    expect(result.stderr).toContain(
      'hint: versions are immutable; bump "version" in the file or pass --version',
    );
  });
});

describe('skein run --allow-http', () => {
  let service: Server;
  let file = '';
  let target = '';

  beforeAll(async () => {
    service = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}'),
    );
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    target = `127.0.0.1:${(service.address() as AddressInfo).port}`;
    file = join(mkdtempSync(join(tmpdir(), 'skein-allow-')), 'call.yaml');
    writeFileSync(file, `nodes:\n  call:\n    type: http\n    with: { url: "http://${target}/x" }\n`);
  });

  afterAll(() => {
    service.close();
  });

  it('calls a host:port on this machine only when it is allow-listed, by flag or by SKEIN_HTTP_ALLOW', async () => {
    // Act
    const refused = await skein('run', file, '--json');
    const byFlag = await skein('run', file, '--json', '--allow-http', target);
    const byVariable = await exec(process.execPath, [bin, 'run', file, '--json'], {
      env: { ...process.env, SKEIN_HTTP_ALLOW: target },
    });

    // Assess
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).nodes.call.error).toMatchObject({ code: 'HTTP_FORBIDDEN_ADDRESS' });
    expect(byFlag.code).toBe(0);
    expect(JSON.parse(byFlag.stdout).nodes.call.output).toMatchObject({ status: 200, body: { ok: 1 } });
    expect(JSON.parse(byVariable.stdout).status).toBe('SUCCEEDED');
  });

  it.each([
    [['--allow-http', 'localhost'], 'a port is required'],
    [['--allow-http', '127.0.0.1:9', '--api', 'http://localhost:1', '--key', 'k'], 'has its own allow-list'],
  ])('refuses %j as a usage error', async (flags, message) => {
    // Act
    const result = await skein('run', file, ...flags);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
