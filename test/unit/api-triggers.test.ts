import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import type { Json } from './api-on-harness.ts';
import { apiWithTriggers } from './trigger-fixtures.ts';

const path = `/v1/tenants/${TENANT}/triggers`;

describe('trigger routes', () => {
  it('creates a cron trigger, tells the scheduler, and shows the next 5 fire times', async () => {
    // Prepare
    const { call, scheduled } = await apiWithTriggers();

    // Act
    const put = await call('PUT', `${path}/every2s`, {
      type: 'cron',
      workflow: 'hello',
      schedule: '*/2 * * * * *',
    });
    const got = await call('GET', `${path}/every2s`);

    // Assess
    expect(put.status).toBe(201);
    expect(scheduled).toEqual([['put', 'every2s', '*/2 * * * * *', true]]);
    expect(got.json.nextFireTimes).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:08.000Z',
      '2026-01-01T00:00:10.000Z',
    ]);
    expect(got.json.firings).toEqual([]);
    expect(
      (await call('PUT', `${path}/every2s`, { type: 'cron', workflow: 'hello', schedule: '0 * * * *' }))
        .status,
    ).toBe(200);
  });

  it.each([
    [{ type: 'cron', workflow: 'hello', schedule: '* * *' }, 422, '$.schedule'],
    [{ type: 'cron', workflow: 'hello', schedule: '0 9 * * *', timezone: 'Nowhere/City' }, 422, '$.timezone'],
    [{ type: 'cron', workflow: 'nope', schedule: '0 9 * * *' }, 422, '$.workflow'],
    [{ type: 'webhook', workflow: 'hello', schedule: '0 9 * * *' }, 422, '$.schedule'],
    [{ type: 'cron', workflow: 'hello', schedule: '0 9 * * *', overlap: 'sometimes' }, 400, '$.overlap'],
    [{ type: 'rss', workflow: 'hello' }, 400, '$.type'],
  ])('refuses %j with %i naming the field', async (body, status, at) => {
    // Prepare
    const { call } = await apiWithTriggers();

    // Act
    const response = await call('PUT', `${path}/t`, body);

    // Assess
    expect(response.status).toBe(status);
    expect(response.json.error.path).toBe(at);
  });

  it('pauses, resumes, fires, lists and deletes; another tenant sees 404', async () => {
    // Prepare
    const { call, scheduled, otherKey } = await apiWithTriggers();
    await call('PUT', `${path}/t`, {
      type: 'cron',
      workflow: 'hello',
      schedule: '0 * * * *',
      inputs: { name: 'x' },
    });

    // Act
    const paused = await call('POST', `${path}/t/pause`);
    const resumed = await call('POST', `${path}/t/resume`);
    const fired = await call('POST', `${path}/t/fire`);
    const listed = await call('GET', path);
    const shown = await call('GET', `${path}/t`);
    const foreign = await call('GET', `/v1/tenants/other/triggers/t`, undefined, {}, otherKey);
    const deleted = await call('DELETE', `${path}/t`);

    // Assess
    expect(paused.json.enabled).toBe(false);
    expect(paused.json.nextFireTimes).toBeUndefined();
    expect(resumed.json.enabled).toBe(true);
    expect(fired.status).toBe(202);
    expect(fired.json).toMatchObject({ outcome: 'started', key: 'trg/t/manual/2026-01-01T00:00:00.000Z' });
    expect(listed.json.items.map((t: Json) => t.triggerId)).toEqual(['t']);
    expect(shown.json.firings[0]).toMatchObject({ outcome: 'started', runId: fired.json.runId });
    expect(foreign.status).toBe(404);
    expect(deleted.status).toBe(204);
    expect((await call('GET', `${path}/t`)).status).toBe(404);
    expect(scheduled.map((s) => (s as unknown[])[0])).toEqual(['put', 'put', 'put', 'remove']);
  });

  it('backfills a past range and shows which runs the times started', async () => {
    // Prepare
    const { call, harness } = await apiWithTriggers();
    await call('PUT', `${path}/t`, { type: 'cron', workflow: 'hello', schedule: '*/15 * * * *' });
    harness.clock.advance(3_600_000);

    // Act
    const response = await call('POST', `${path}/t/backfill`, {
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-01T00:30:00Z',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.json.firings.map((f: Json) => f.key)).toEqual([
      'trg/t/2026-01-01T00:00:00.000Z',
      'trg/t/2026-01-01T00:15:00.000Z',
      'trg/t/2026-01-01T00:30:00.000Z',
    ]);
  });
});

describe('POST /v1/hooks/{hook}', () => {
  it('shows a new webhook’s secret once, starts a run from a signed delivery, and 401s a bad one without detail', async () => {
    // Prepare
    const { call, harness } = await apiWithTriggers();
    const created = await call('PUT', `${path}/gh`, {
      type: 'webhook',
      workflow: 'hello',
      inputs: { name: '{% $inputs.body.name %}' },
    });
    const again = await call('PUT', `${path}/gh`, {
      type: 'webhook',
      workflow: 'hello',
      inputs: { name: '{% $inputs.body.name %}' },
    });
    const { url } = created.json.webhook;
    const body = '{"name":"ada"}';
    const seconds = Math.floor(harness.clock.now() / 1000);
    const signature = new Webhook(created.json.secret).sign('msg_1', new Date(seconds * 1000), body);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(seconds),
      'webhook-signature': signature,
    };

    // Act: no API key on the public route
    const accepted = await call('POST', url, body, headers, '');
    const replay = await call('POST', url, body, headers, '');
    const bad = await call('POST', url, body, { ...headers, 'webhook-signature': 'v1,AAAA' }, '');

    // Assess
    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_/);
    expect(again.json.secret).toBeUndefined();
    expect(again.json.webhook.url).toBe(url);
    expect(accepted.status).toBe(202);
    expect(replay).toMatchObject({ status: 200, json: { runId: accepted.json.runId, created: false } });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: { code: 'UNAUTHORIZED', message: 'invalid signature' } });
    const run = await harness.engine.getRun(TENANT, accepted.json.runId);
    expect(run.inputs).toEqual({ name: 'ada' });
  });

  it('rate limits an address that keeps sending bad signatures', async () => {
    // Prepare
    const { call } = await apiWithTriggers();
    const created = await call('PUT', `${path}/gh`, { type: 'webhook', workflow: 'hello' });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++)
      statuses.push((await call('POST', created.json.webhook.url, '{}', {}, '')).status);

    // Assess
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
