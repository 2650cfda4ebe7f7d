import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { settle } from '../scenarios/scenario-kit.ts';
import { apiOnHarness } from './api-on-harness.ts';

/** Five approvals, two at a time: a map of callback items. */
const approvals = {
  id: 'approvals',
  inputs: { ids: { type: 'array', required: true } },
  nodes: { each: { type: 'map', items: '{% $inputs.ids %}', maxConcurrency: 2, node: { type: 'callback' } } },
};

async function waitingMap() {
  const api = await apiOnHarness();
  await api.harness.publish(approvals);
  const started = await api.call('POST', `/v1/tenants/${TENANT}/workflows/approvals/runs`, {
    inputs: { ids: ['a', 'b', 'c', 'd', 'e'] },
  });
  const runId = started.json.runId as string;
  await settle(api.harness);
  const items = (query = '') =>
    api.call('GET', `/v1/tenants/${TENANT}/runs/${runId}/nodes/each/items${query}`);
  return { ...api, runId, items };
}

describe('GET /v1/tenants/{tenant}/runs/{run}/nodes/{node}/items', () => {
  it('pages through the items of a map in index order, with each value, status and token', async () => {
    // Prepare
    const { call, runId, items } = await waitingMap();

    // Act
    const first = await items('?limit=3');
    const second = await items(`?limit=3&cursor=${first.json.cursor}`);
    const view = await call('GET', `/v1/tenants/${TENANT}/runs/${runId}`);

    // Assess
    expect(first.status).toBe(200);
    expect(first.json.total).toBe(5);
    expect(first.json.items.map((item: { index: number }) => item.index)).toEqual([0, 1, 2]);
    expect(first.json.items.map((item: { status: string }) => item.status)).toEqual([
      'WAITING',
      'WAITING',
      'PENDING',
    ]);
    expect(first.json.items[0]).toMatchObject({ item: 'a', attempts: 1 });
    expect(typeof first.json.items[0].token).toBe('string');
    expect(second.json.items.map((item: { index: number }) => item.index)).toEqual([3, 4]);
    expect(second.json.cursor).toBeUndefined();
    expect(view.json.nodes.each).toMatchObject({ status: 'WAITING', items: { total: 5, lanes: 2 } });
  });

  it('completes a callback item through the nodes/{map}[{index}]/complete route', async () => {
    // Prepare
    const { call, harness, runId, items } = await waitingMap();
    const token = (await items()).json.items[1].token as string;

    // Act
    const done = await call('POST', `/v1/tenants/${TENANT}/runs/${runId}/nodes/each%5B1%5D/complete`, {
      token,
      output: { ok: 1 },
    });
    await settle(harness);

    // Assess
    expect([done.status, done.json]).toEqual([202, { runId, nodeId: 'each[1]', accepted: 'completed' }]);
    const after = (await items()).json.items.map((item: { status: string }) => item.status);
    expect(after).toEqual(['WAITING', 'SUCCEEDED', 'PENDING', 'WAITING', 'PENDING']);
  });

  it('answers 404 for a node that is not a map, and 400 for a cursor that is not one', async () => {
    // Prepare
    const { call, runId, items } = await waitingMap();

    // Act
    const notMap = await call('GET', `/v1/tenants/${TENANT}/runs/${runId}/nodes/nope/items`);
    const badCursor = await items('?cursor=bm9wZQ');
    const badLimit = await items('?limit=0');

    // Assess
    expect([notMap.status, notMap.json.error.code]).toEqual([404, 'NOT_FOUND']);
    expect([badCursor.status, badCursor.json.error.code]).toEqual([400, 'INVALID_CURSOR']);
    expect(badLimit.status).toBe(400);
  });
});
