import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localSqliteDeps } from '../../functions/composition/local-sqlite.ts';
import { QueueRelayTimer } from '../../shared/adapters/memory/queue-relay-timer.ts';
import { sharedSandbox } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import { recoverInterrupted } from '../../shared/adapters/sqlite/restart-recovery.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { RunEngine } from '../../shared/engine/run-engine.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import type { ExecutionRequest, ExecutionResult } from '../../shared/ports/executor.ts';
import { ExecutorRegistry } from '../../shared/ports/executors.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import type { NodeRecord } from '../../shared/ports/run-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-recovery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An engine on the file's stores whose `noop` kind runs `execute` (a stand-in for any work). */
function engineOn(
  deps: ReturnType<typeof localSqliteDeps>,
  execute: (request: ExecutionRequest<unknown>) => Promise<ExecutionResult>,
) {
  return new RunEngine({
    runs: deps.runs,
    definitions: deps.definitions,
    queue: deps.queue,
    timer: new QueueRelayTimer(deps.queue, systemClock),
    clock: systemClock,
    ids: randomIds,
    executors: new ExecutorRegistry().register({ type: 'noop', execute }),
    random: Math.random,
    sandbox: sharedSandbox(),
  });
}

/** Receives and handles messages until the run ends (or `ms` pass). */
async function workUntilEnded(
  deps: ReturnType<typeof localSqliteDeps>,
  engine: RunEngine,
  runId: string,
  ms: number,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await deps.runs.getRun(runId);
    if (run && !['RUNNING', 'QUEUED', 'PAUSED'].includes(run.status)) return run;
    if (Date.now() > deadline) return run;
    for (const message of await deps.queue.receive({ max: 10, waitSeconds: 1 })) {
      const result = await engine.handleMessage(message.body);
      if (result.kind === 'retry') await deps.queue.changeVisibility(message.receipt, result.afterSeconds);
      else await deps.queue.delete(message.receipt);
    }
  }
}

/**
 * A process claims `slow` (a 10-minute lease, a 60 s message visibility) and stops working on
 * it, as a process killed mid-node does, after `done` ended; then a second connection opens the
 * file, as the next `npm start` does. `maxAttempts`: `slow`'s retry policy.
 */
async function interruptedRun(file: string, maxAttempts: number) {
  const path = join(dir, file);
  const first = localSqliteDeps(path, { visibilitySeconds: 60 });
  const body = {
    id: 'interrupted',
    nodes: {
      done: { type: 'noop' },
      slow: { type: 'noop', timeout: '10m', retry: { maxAttempts } },
    },
  };
  await publishDefinition(
    { definitions: first.definitions, clock: systemClock },
    { tenant: 't', workflowId: body.id, version: '1.0.0', body },
  );
  const started: string[] = [];
  const firstEngine = engineOn(first, async (request) => {
    started.push(request.ctx.nodeId);
    return request.ctx.nodeId === 'done'
      ? { kind: 'succeeded', output: 'done' }
      : new Promise(() => undefined);
  });
  const { run } = await firstEngine.startRun({ tenant: 't', workflow: 'interrupted' });
  const received = await first.queue.receive({ max: 10 });
  for (const message of received) {
    // `done` ends; `slow` hangs on in its executor, as if the process had died there.
    void firstEngine.handleMessage(message.body).then(() => first.queue.delete(message.receipt));
  }
  const deadline = Date.now() + 10_000;
  while (started.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const second = localSqliteDeps(path, { visibilitySeconds: 60 });
  const invisibleBefore = await second.queue.receive({ max: 10 });
  return { second, runId: run.runId, received, invisibleBefore };
}

const summary = (nodes: readonly NodeRecord[]) =>
  nodes.map(({ nodeId, status, attempt, output, error }) => ({
    nodeId,
    status,
    attempt,
    ...(output === undefined ? {} : { output }),
    ...(error === undefined ? {} : { code: error.code }),
  }));

describe('taking over an embedded store file after its process stopped', () => {
  it('starts again at once a node that was executing, as a new attempt, and leaves finished work alone', async () => {
    // Prepare
    const { second, runId, received, invisibleBefore } = await interruptedRun('retry.db', 2);

    // Act
    const recovered = recoverInterrupted(second.sqlite, Date.now());
    const again = recoverInterrupted(second.sqlite, Date.now());
    const engine = engineOn(second, async () => ({ kind: 'succeeded', output: 'again' }));
    const ended = await workUntilEnded(second, engine, runId, 15_000);

    // Assess
    expect(received).toHaveLength(2);
    expect(invisibleBefore).toEqual([]);
    expect(recovered).toEqual({ nodes: 1, messages: 1 });
    expect(again).toEqual({ nodes: 0, messages: 0 });
    expect(ended?.status).toBe('SUCCEEDED');
    expect(summary(await second.runs.getNodes(runId, ['done', 'slow']))).toEqual([
      { nodeId: 'done', status: 'SUCCEEDED', attempt: 1, output: 'done' },
      { nodeId: 'slow', status: 'SUCCEEDED', attempt: 2, output: 'again' },
    ]);
    second.close();
  });

  it('fails at once, WORKER_LOST, a node that was executing with no attempt left, never running it twice', async () => {
    // Prepare
    const { second, runId } = await interruptedRun('no-retry.db', 1);
    let executed = 0;

    // Act
    recoverInterrupted(second.sqlite, Date.now());
    const engine = engineOn(second, async () => {
      executed += 1;
      return { kind: 'succeeded', output: 'again' };
    });
    const ended = await workUntilEnded(second, engine, runId, 15_000);

    // Assess
    expect(executed).toBe(0);
    expect(ended?.status).toBe('FAILED');
    expect(summary(await second.runs.getNodes(runId, ['done', 'slow']))).toEqual([
      { nodeId: 'done', status: 'SUCCEEDED', attempt: 1, output: 'done' },
      { nodeId: 'slow', status: 'FAILED', attempt: 1, code: 'WORKER_LOST' },
    ]);
    second.close();
  });
});
