import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmStart, runSkein, startNpmStart } from './npm-start.ts';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'cli/bin.js');
let server: NpmStart;

beforeAll(async () => {
  server = await startNpmStart();
}, 60_000);

afterAll(() => {
  server?.stop();
});

/** `skein ...` against the running npm start, found through its data folder (no --api, no --key). */
const skein = (...args: string[]) => runSkein(args, server.dataDir);

/** Starts a run of `workflow` through the API; returns its id. */
async function start(workflow: string, inputs: object, wait?: number): Promise<string> {
  const response = await fetch(`${server.url}/v1/tenants/demo/workflows/${workflow}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs, ...(wait === undefined ? {} : { wait }) }),
  });
  return ((await response.json()) as { runId: string }).runId;
}

describe('the operator commands against npm start', () => {
  it('list workflows and versions, publish a new version and diff it against the first', async () => {
    // Prepare
    const file = join(server.dataDir, 'hello-2.yaml');
    writeFileSync(
      file,
      'id: hello\nversion: 2.0.0\ndescription: says hello twice\ninputs:\n  name: { type: string, default: world }\n' +
        'nodes:\n  greet: { type: noop }\n  again: { type: noop, needs: [greet] }\n',
    );

    // Act
    const list = await skein('workflows', 'list');
    const published = await skein('workflows', 'publish', file);
    const versions = await skein('workflows', 'versions', 'hello', '--json');
    const diff = await skein('workflows', 'diff', 'hello', '1.0.0', '2.0.0');

    // Assess
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^hello {2}latest 1\.0\.0/m);
    expect(published).toMatchObject({ code: 0, stdout: 'published hello@2.0.0 for tenant "demo"\n' });
    expect((JSON.parse(versions.stdout) as { version: string }[]).map((v) => v.version)).toEqual([
      '2.0.0',
      '1.0.0',
    ]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('--- hello@1.0.0');
    expect(diff.stdout).toContain('+++ hello@2.0.0');
    expect(diff.stdout).toMatch(/^\+ {2}again:/m);
  });

  it('list and get runs, and watch one to its end', async () => {
    // Prepare
    const runId = await start('hello', { name: 'Ada' });

    // Act
    const watched = await skein('runs', 'watch', runId, '--interval', '100');
    const got = await skein('runs', 'get', runId, '--json');
    const listed = await skein('runs', 'list', '--workflow', 'hello');

    // Assess
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain(`✔ run ${runId}  hello@`);
    expect(watched.stdout).toMatch(/\[#{24}\] 100% \(\d+\/\d+ nodes\)/);
    expect(JSON.parse(got.stdout)).toMatchObject({ runId, status: 'SUCCEEDED' });
    expect(listed.stdout).toContain(`${runId}  hello@`);
  });

  it('complete an approval with skein complete, then the run succeeds', async () => {
    // Prepare
    const runId = await start('order-pipeline', { orderId: 'o-9', amount: 5000 }, 5);
    const view = JSON.parse((await skein('runs', 'get', runId, '--json')).stdout) as {
      nodes: { approve: { token: string } };
    };

    // Act
    const wrong = await skein(
      'complete',
      runId,
      'approve',
      '--token',
      'guess',
      '--output',
      '{"approved":true}',
    );
    const done = await skein(
      'complete',
      runId,
      'approve',
      '--token',
      view.nodes.approve.token,
      '--output',
      '{"approved":true}',
    );
    const watched = await skein('runs', 'watch', runId, '--interval', '100', '--json');

    // Assess
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('CALLBACK_TOKEN_INVALID');
    expect(done).toMatchObject({ code: 0, stdout: `node approve of run ${runId}: completed\n` });
    expect(watched.code).toBe(0);
    expect(JSON.parse(watched.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      status: 'SUCCEEDED',
      outputs: { orderId: 'o-9', approved: true },
    });
  });

  it('cancel a waiting run, retry it, and explain a usage error and an unknown run', async () => {
    // Prepare
    const runId = await start('order-pipeline', { orderId: 'o-10', amount: 5000 }, 5);

    // Act
    const cancelled = await skein('runs', 'cancel', runId);
    const retried = await skein('runs', 'retry', runId, '--json');
    const unknown = await skein('runs', 'get', '01ZZZZZZZZZZZZZZZZZZZZZZZZ');
    const both = await skein('complete', runId, 'approve', '--token', 't', '--output', '1', '--error', 'NO');
    const nowhere = await promisify(execFile)(
      process.execPath,
      [bin, 'runs', 'list', '--data-dir', '/nonexistent'],
      {
        cwd: root,
        env: { ...process.env, SKEIN_API: '', SKEIN_KEY: '' },
      },
    ).catch((error: { code: number; stderr: string }) => error);

    // Assess
    expect(cancelled).toMatchObject({ code: 0, stdout: `run ${runId}: CANCELLED\n` });
    expect(JSON.parse(retried.stdout)).toMatchObject({ runId, status: 'RUNNING' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --output');
    expect(nowhere).toMatchObject({ code: 2 });
    expect((nowhere as { stderr: string }).stderr).toContain('no Skein API to talk to');
  });
});
