import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { settle } from '../scenarios/scenario-kit.ts';
import { apiOnHarness } from './api-on-harness.ts';

const approval = {
  id: 'approval',
  nodes: { approve: { type: 'callback', timeout: '1h' }, ship: { type: 'noop', needs: ['approve'] } },
};

/** The API with a run of `approval` whose callback waits; its token read from the run view. */
async function waitingRun() {
  const api = await apiOnHarness();
  await api.harness.publish(approval);
  const runId = (await api.call('POST', `/v1/tenants/${TENANT}/workflows/approval/runs`)).json
    .runId as string;
  await settle(api.harness);
  const view = await api.call('GET', `/v1/tenants/${TENANT}/runs/${runId}`);
  const token = view.json.nodes.approve.token as string;
  const node = (id: string, action: string, tenant = TENANT) =>
    `/v1/tenants/${tenant}/runs/${runId}/nodes/${id}/${action}`;
  return { ...api, runId, token, node, view };
}

describe('POST /v1/tenants/{tenant}/runs/{run}/nodes/{node}/complete', () => {
  it('completes a waiting callback with 202 once, and the run goes on with its output', async () => {
    // Prepare
    const { harness, call, runId, token, node, view } = await waitingRun();

    // Act
    const first = await call('POST', node('approve', 'complete'), { token, output: { ok: true } });
    const second = await call('POST', node('approve', 'complete'), { token, output: { ok: false } });
    await settle(harness);

    // Assess
    expect(view.json.nodes.approve).toMatchObject({ status: 'WAITING', token });
    expect([first.status, first.json]).toEqual([202, { runId, nodeId: 'approve', accepted: 'completed' }]);
    expect([second.status, second.json.error.code]).toEqual([409, 'CALLBACK_ALREADY_COMPLETED']);
    const run = await call('GET', `/v1/tenants/${TENANT}/runs/${runId}?outputs=true`);
    expect(run.json.status).toBe('SUCCEEDED');
    expect(run.json.nodes.approve.output).toEqual({ ok: true });
  });

  it('answers the same 403 for a wrong token, an unknown node and an impossible node id', async () => {
    // Prepare
    const { call, token, node } = await waitingRun();

    // Act
    const answers = await Promise.all([
      call('POST', node('approve', 'complete'), { token: 'guess', output: 1 }),
      call('POST', node('nope', 'complete'), { token, output: 1 }),
      call('POST', node('no%20such!', 'complete'), { token, output: 1 }),
      call('POST', node('approve', 'heartbeat'), { token: 'guess' }),
    ]);

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.json.error.code).toBe('CALLBACK_TOKEN_INVALID');
    }
  });

  it('answers 404 for another tenant’s run, whatever the token', async () => {
    // Prepare
    const { call, token, node, otherKey } = await waitingRun();

    // Act
    const other = await call(
      'POST',
      node('approve', 'complete', 'other'),
      { token, output: 1 },
      undefined,
      otherKey,
    );

    // Assess
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('NOT_FOUND');
  });

  it('answers 400 for a body with both or neither of output and error, and 422 for an output over 256 KB', async () => {
    // Prepare
    const { call, token, node } = await waitingRun();
    const error = { code: 'NO', message: 'no' };

    // Act
    const both = await call('POST', node('approve', 'complete'), { token, output: 1, error });
    const neither = await call('POST', node('approve', 'complete'), { token });
    const noToken = await call('POST', node('approve', 'complete'), { output: 1 });
    const big = await call('POST', node('approve', 'complete'), { token, output: 'x'.repeat(270_000) });

    // Assess
    expect([both.status, both.json.error.code]).toEqual([400, 'SCHEMA']);
    expect([neither.status, neither.json.error.code]).toEqual([400, 'SCHEMA']);
    expect([noToken.status, noToken.json.error.path]).toEqual([400, '$.token']);
    expect([big.status, big.json.error.code]).toEqual([422, 'OUTPUT_TOO_LARGE']);
  });

  it('fails the node with the error a completion gives', async () => {
    // Prepare
    const { harness, call, runId, token, node } = await waitingRun();

    // Act
    const answer = await call('POST', node('approve', 'complete'), {
      token,
      error: { code: 'REJECTED', message: 'not approved' },
    });
    await settle(harness);

    // Assess
    expect(answer.status).toBe(202);
    const run = await call('GET', `/v1/tenants/${TENANT}/runs/${runId}`);
    expect(run.json.nodes.approve).toMatchObject({
      status: 'FAILED',
      error: { code: 'REJECTED', message: 'not approved' },
    });
  });
});

describe('POST /v1/tenants/{tenant}/runs/{run}/nodes/{node}/heartbeat', () => {
  it('moves the deadline one timeout on, and answers 409 once the node has completed', async () => {
    // Prepare
    const { harness, call, token, node } = await waitingRun();
    harness.clock.advance(30 * 60_000);

    // Act
    const beat = await call('POST', node('approve', 'heartbeat'), { token });
    await call('POST', node('approve', 'complete'), { token, output: 1 });
    const late = await call('POST', node('approve', 'heartbeat'), { token });

    // Assess
    expect(beat.status).toBe(200);
    expect(beat.json.deadline).toBe(new Date(harness.clock.now() + 60 * 60_000).toISOString());
    expect([late.status, late.json.error.code]).toEqual([409, 'CALLBACK_ALREADY_COMPLETED']);
  });
});
