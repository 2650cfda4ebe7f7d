import { afterAll, describe, expect, it } from 'vitest';
import { type NpmStart, startNpmStart } from './npm-start.ts';

/**
 * `npm start` on the embedded store killed with SIGKILL in the middle of a run, then started again
 * on the same data folder: the run goes on from where it was and ends once, each node once.
 */
const started: NpmStart[] = [];
afterAll(() => {
  for (const each of started) each.stop();
});

interface RunView {
  status: string;
  nodes: Record<string, { status: string; attempts?: number }>;
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A call to the local API with the server's demo key; the JSON answer. */
async function api(server: NpmStart, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** Publishes `nodes` as version 1.0.0 of `workflow` for tenant demo and starts a run of it. */
async function startedRun(server: NpmStart, workflow: string, nodes: Record<string, unknown>) {
  await api(server, 'PUT', `/v1/tenants/demo/workflows/${workflow}/versions/1.0.0`, { nodes });
  const { runId } = (await api(server, 'POST', `/v1/tenants/demo/workflows/${workflow}/runs`, {})) as {
    runId: string;
  };
  return runId;
}

const runOn = async (server: NpmStart, runId: string) =>
  (await api(server, 'GET', `/v1/tenants/demo/runs/${runId}`)) as unknown as RunView;

/** SIGKILLs `first` and starts `npm start` again on its data folder. */
async function killAndRestart(first: NpmStart): Promise<NpmStart> {
  const exited = new Promise((resolve) => first.process.once('exit', resolve));
  first.process.kill('SIGKILL');
  await exited;
  const second = await startNpmStart(['--quiet'], {}, first.dataDir);
  started.push(second);
  return second;
}

/** The run once it is no longer RUNNING. */
const ended = (server: NpmStart, runId: string, timeoutMs: number) =>
  until(
    'the run to end after the restart',
    async () => {
      const run = await runOn(server, runId);
      return run.status === 'RUNNING' ? undefined : run;
    },
    timeoutMs,
  );

describe('npm start across a crash', { timeout: 240_000 }, () => {
  it('finishes a run after SIGKILL and a restart on the same data folder, every node and the run ending once', async () => {
    // Prepare: a run of four steps a second apart, its start written durably before the kill.
    const first = await startNpmStart(['--quiet']);
    started.push(first);
    const step = (needs?: string) => ({
      type: 'wait',
      with: { seconds: 1 },
      ...(needs && { needs: [needs] }),
    });
    const runId = await startedRun(first, 'steps', { a: step(), b: step('a'), c: step('b'), d: step('c') });
    const atKill = await until(
      'the first step to end',
      async () => {
        const run = await runOn(first, runId);
        return run.nodes.a?.status === 'SUCCEEDED' ? run : undefined;
      },
      60_000,
    );

    // Act
    const second = await killAndRestart(first);
    const end = await ended(second, runId, 150_000);

    // Assess
    expect(atKill.status).toBe('RUNNING');
    expect(atKill.nodes.d?.status).not.toBe('SUCCEEDED');
    expect(end.status).toBe('SUCCEEDED');
    for (const id of ['a', 'b', 'c', 'd']) expect(end.nodes[id]).toMatchObject({ status: 'SUCCEEDED' });
    // The monitor reads the outbox from its saved checkpoint: the history catches up.
    const history = await until(
      "the run's end in its history",
      async () => {
        const page = (await api(second, 'GET', `/v1/tenants/demo/runs/${runId}/events`)) as {
          items: { type: string; nodeId?: string }[];
        };
        return page.items.some((event) => event.type === 'run.succeeded') ? page : undefined;
      },
      30_000,
    );
    const count = (type: string, nodeId?: string) =>
      history.items.filter((event) => event.type === type && event.nodeId === nodeId).length;
    expect(count('run.started')).toBe(1);
    expect(count('run.succeeded')).toBe(1);
    for (const id of ['a', 'b', 'c', 'd']) expect(count('node.succeeded', id)).toBe(1);
  });

  it('takes a node that was executing at the kill over as soon as npm start is back, as its next attempt', async () => {
    // Prepare: a script that computes for 3 s, with a second attempt allowed, killed mid-attempt.
    const first = await startNpmStart(['--quiet']);
    started.push(first);
    const runId = await startedRun(first, 'busy', {
      work: {
        type: 'script',
        language: 'js',
        code: 'const end = Date.now() + 3000; while (Date.now() < end) {} return "computed"',
        timeout: '20s',
        retry: { maxAttempts: 2, initialDelay: '1s' },
      },
    });
    const atKill = await until(
      'the script to be running',
      async () => {
        const run = await runOn(first, runId);
        return run.nodes.work?.status === 'RUNNING' ? run : undefined;
      },
      60_000,
    );

    // Act: without the takeover its message would stay hidden 60 s and its lease last 50 s.
    const second = await killAndRestart(first);
    const back = Date.now();
    const end = await ended(second, runId, 30_000);

    // Assess
    expect(atKill.status).toBe('RUNNING');
    expect(second.output()).toContain(
      'taken over from the last run of npm start on this folder: 1 interrupted node(s)',
    );
    expect(end.status).toBe('SUCCEEDED');
    expect(end.nodes.work).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(Date.now() - back).toBeLessThan(30_000);
  });

  it('refuses a second npm start on a data folder in use, and keeps serving the first', async () => {
    // Prepare
    const first = await startNpmStart(['--quiet']);
    started.push(first);

    // Act
    const refused = await startNpmStart(['--quiet'], {}, first.dataDir).catch((error: Error) => error);

    // Assess
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toContain(
      `npm start: another npm start (pid ${first.process.pid}) is using ${first.dataDir}`,
    );
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
  });
});
