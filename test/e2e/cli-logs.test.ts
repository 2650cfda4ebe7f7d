import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmStart, runSkein, startNpmStart } from './npm-start.ts';

let server: NpmStart;

beforeAll(async () => {
  server = await startNpmStart();
}, 60_000);

afterAll(() => {
  server?.stop();
});

/** `skein ...` against the running npm start, found through its data folder (no --api, no --key). */
const skein = (...args: string[]) => runSkein(args, server.dataDir);

/** Starts a run of `workflow` through the API and waits for its end (at most 20 s); returns its id. */
async function run(workflow: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/tenants/demo/workflows/${workflow}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ wait: 20 }),
  });
  const body = (await response.json()) as { runId?: string; status?: string };
  if (body.runId === undefined || body.status !== 'SUCCEEDED') throw new Error(JSON.stringify(body));
  return body.runId;
}

const DEFINITION = `id: chatty
version: 1.0.0
nodes:
  transform:
    type: script
    language: js
    retry: { maxAttempts: 2, initialDelay: 1s }
    code: |
      console.info('attempt', ctx.attempt);
      if (ctx.attempt === 1) { console.error('upstream said no'); throw new Error('boom'); }
      console.log({ rows: 3 });
      return { rows: 3 };
  summary:
    type: script
    language: lua
    needs: [transform]
    code: |
      print('rows', 3)
      return 'ok'
  quiet: { type: noop, needs: [summary] }
`;

describe('skein runs logs against npm start', () => {
  it('shows what a JS script logged and a Lua script printed, per attempt, as text or JSON', async () => {
    // Prepare
    const file = join(server.dataDir, 'chatty.yaml');
    writeFileSync(file, DEFINITION);
    expect((await skein('workflows', 'publish', file)).code).toBe(0);
    const runId = await run('chatty');

    // Act
    const latest = await skein('runs', 'logs', runId, 'transform');
    const first = await skein('runs', 'logs', runId, 'transform', '--attempt', '1', '--json');
    const lua = await skein('runs', 'logs', runId, 'summary', '--json');
    const quiet = await skein('runs', 'logs', runId, 'quiet');
    const missing = await skein('runs', 'logs', runId, 'transform', '--attempt', '7');

    // Assess
    expect(latest).toMatchObject({ code: 0, stderr: '' });
    expect(latest.stdout).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}INFO {3}attempt 2\n\d\d:\d\d:\d\d\.\d{3} {2}LOG {4}\{"rows":3\}\n$/,
    );
    expect(JSON.parse(first.stdout)).toMatchObject({
      node: 'transform',
      attempt: 1,
      truncated: false,
      lines: [
        { level: 'info', message: 'attempt 1' },
        { level: 'error', message: 'upstream said no' },
      ],
    });
    expect(JSON.parse(lua.stdout)).toMatchObject({
      node: 'summary',
      attempt: 1,
      lines: [{ level: 'log', message: 'rows\t3' }],
    });
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
    expect(quiet.stderr).toContain('printed nothing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ATTEMPT_NOT_FOUND');
  }, 60_000);
});
