import { describe, expect, it } from 'vitest';
import type { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { js, lua } from '../scenarios/scenario-kit.ts';
import { apiOnHarness } from './api-on-harness.ts';

/** A JS node that fails its first attempt after logging, a Lua node that prints, a quiet noop. */
const chatty = {
  id: 'chatty',
  nodes: {
    flaky: js(
      'console.info("attempt", ctx.attempt); if (ctx.attempt === 1) { console.error("upstream said no"); throw new Error("boom"); } console.log({ rows: 3 }); return 1',
      { retry: { maxAttempts: 2, initialDelay: '1s' } },
    ),
    summary: lua('print("rows", 3, { ok = true }) return 2', { needs: ['flaky'] }),
    quiet: { type: 'noop', needs: ['summary'] },
  },
};

async function finishedRun() {
  const api = await apiOnHarness();
  await api.harness.publish(chatty);
  const started = await api.call('POST', `/v1/tenants/${TENANT}/workflows/chatty/runs`, {});
  const runId = started.json.runId as string;
  await api.harness.drain();
  const logs = (node: string, query = '', key?: string) =>
    api.call(
      'GET',
      `/v1/tenants/${TENANT}/runs/${runId}/nodes/${node}/logs${query}`,
      undefined,
      undefined,
      key,
    );
  return { ...api, runId, logs };
}

const messagesOf = (body: { lines: { level: string; message: string }[] }) =>
  body.lines.map((line) => `${line.level}: ${line.message}`);

describe('GET /v1/tenants/{tenant}/runs/{run}/nodes/{node}/logs', () => {
  it('answers the latest attempt by default, and a failed earlier attempt by number', async () => {
    // Prepare
    const { logs } = await finishedRun();

    // Act
    const latest = await logs('flaky');
    const first = await logs('flaky', '?attempt=1');

    // Assess
    expect(latest.status).toBe(200);
    expect(latest.json).toMatchObject({ node: 'flaky', attempt: 2, truncated: false });
    expect(messagesOf(latest.json as never)).toEqual(['info: attempt 2', 'log: {"rows":3}']);
    expect(Object.keys(latest.json).sort()).toEqual(['attempt', 'lines', 'node', 'truncated']);
    expect(Object.keys(latest.json.lines[0]).sort()).toEqual(['level', 'message', 'ts']);
    expect(first.json).toMatchObject({ node: 'flaky', attempt: 1 });
    expect(messagesOf(first.json as never)).toEqual(['info: attempt 1', 'error: upstream said no']);
  });

  it('answers Lua prints, and no lines for a node that printed nothing', async () => {
    // Prepare
    const { logs } = await finishedRun();

    // Act
    const summary = await logs('summary');
    const quiet = await logs('quiet');

    // Assess
    expect(messagesOf(summary.json as never)).toEqual(['log: rows\t3\t{"ok":true}']);
    expect(quiet.status).toBe(200);
    expect(quiet.json).toEqual({ node: 'quiet', attempt: 1, lines: [], truncated: false });
  });

  it('is a 404 with its own code for an unknown run, node or attempt, and for another tenant', async () => {
    // Prepare
    const { logs, call, otherKey, runId } = await finishedRun();

    // Act
    const node = await logs('nope');
    const attempt = await logs('flaky', '?attempt=3');
    const run = await call('GET', `/v1/tenants/${TENANT}/runs/01UNKNOWNRUN/nodes/flaky/logs`);
    const other = await call(
      'GET',
      `/v1/tenants/other/runs/${runId}/nodes/flaky/logs`,
      undefined,
      undefined,
      otherKey,
    );
    const bad = await logs('flaky', '?attempt=zero');

    // Assess
    expect([node.status, node.json.error.code]).toEqual([404, 'NODE_NOT_FOUND']);
    expect([attempt.status, attempt.json.error.code]).toEqual([404, 'ATTEMPT_NOT_FOUND']);
    expect(attempt.json.error.message).toContain('ask for attempt 1 to 2');
    expect([run.status, run.json.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(other.status).toBe(404);
    expect([bad.status, bad.json.error.code]).toEqual([400, 'INVALID_QUERY']);
  });

  it('writes a log item only for attempts that printed, and hands each to the observer', async () => {
    // Prepare
    const { harness, runId } = await finishedRun();

    // Assess
    expect((harness.runs as MemoryRunStore).calls.get('putLogs')).toBe(3);
    expect(
      harness.scriptLogs.map(({ runId: run, nodeId, attempt, tenant }) => ({ run, nodeId, attempt, tenant })),
    ).toEqual([
      { run: runId, nodeId: 'flaky', attempt: 1, tenant: TENANT },
      { run: runId, nodeId: 'flaky', attempt: 2, tenant: TENANT },
      { run: runId, nodeId: 'summary', attempt: 1, tenant: TENANT },
    ]);
  });
});
