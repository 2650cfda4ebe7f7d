import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../shared/domain/validate.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { apiWithTriggers } from './trigger-fixtures.ts';

const report = (version: string, triggers?: object) => ({
  id: 'report',
  version,
  nodes: { a: { type: 'noop' } },
  ...(triggers && { triggers }),
});
const publish = (
  call: Awaited<ReturnType<typeof apiWithTriggers>>['call'],
  version: string,
  triggers?: object,
) => call('PUT', `/v1/tenants/${TENANT}/workflows/report/versions/${version}`, report(version, triggers));
const trigger = (call: Awaited<ReturnType<typeof apiWithTriggers>>['call'], id: string) =>
  call('GET', `/v1/tenants/${TENANT}/triggers/${id}`);

describe('triggers: in a definition', () => {
  it('creates the declared triggers when the version is published, each running that version', async () => {
    // Prepare
    const { call, scheduled } = await apiWithTriggers();

    // Act
    const published = await publish(call, '1.0.0', {
      nightly: { type: 'cron', schedule: '0 2 * * *', timezone: 'Europe/London' },
      hook: { type: 'webhook' },
      orders: { type: 'event', pattern: { source: ['shop'] } },
    });

    // Assess
    expect(published.status).toBe(201);
    expect(published.json.triggers).toMatchObject({
      created: ['nightly', 'hook', 'orders'],
      updated: [],
      deleted: [],
      secrets: { hook: expect.stringMatching(/^whsec_/) },
    });
    const nightly = await trigger(call, 'nightly');
    expect(nightly.json).toMatchObject({
      type: 'cron',
      workflow: 'report',
      version: '1.0.0',
      cron: { expression: '0 2 * * *', timezone: 'Europe/London' },
      definedBy: { workflow: 'report', version: '1.0.0' },
    });
    expect(scheduled).toContainEqual(['put', 'nightly', '0 2 * * *', true]);
  });

  it('follows the latest version: updates changed entries, leaves unchanged ones, deletes dropped ones', async () => {
    // Prepare
    const { call, scheduled } = await apiWithTriggers();
    await publish(call, '1.0.0', {
      nightly: { type: 'cron', schedule: '0 2 * * *' },
      hourly: { type: 'cron', schedule: '0 * * * *' },
      orders: { type: 'event', pattern: { source: ['shop'] } },
    });
    await call('POST', `/v1/tenants/${TENANT}/triggers/hourly/pause`);

    // Act
    const again = await publish(call, '1.0.0', {
      nightly: { type: 'cron', schedule: '0 2 * * *' },
      hourly: { type: 'cron', schedule: '0 * * * *' },
      orders: { type: 'event', pattern: { source: ['shop'] } },
    });
    const next = await publish(call, '1.1.0', {
      nightly: { type: 'cron', schedule: '0 3 * * *' },
      hourly: { type: 'cron', schedule: '0 * * * *' },
    });

    // Assess
    expect(again.json.triggers).toMatchObject({
      unchanged: ['nightly', 'hourly', 'orders'],
      created: [],
      updated: [],
    });
    expect(next.json.triggers).toMatchObject({
      updated: ['nightly', 'hourly'],
      deleted: ['orders'],
      created: [],
    });
    expect((await trigger(call, 'nightly')).json).toMatchObject({
      version: '1.1.0',
      cron: { expression: '0 3 * * *' },
    });
    expect((await trigger(call, 'hourly')).json).toMatchObject({ version: '1.1.0', enabled: false });
    expect((await trigger(call, 'orders')).status).toBe(404);
    expect(scheduled.at(-1)).toEqual(['put', 'hourly', '0 * * * *', false]);
  });

  it('does not apply the triggers of a version that is not the latest, and says so', async () => {
    // Prepare
    const { call } = await apiWithTriggers();
    await publish(call, '2.0.0', { nightly: { type: 'cron', schedule: '0 2 * * *' } });

    // Act
    const older = await publish(call, '1.5.0', { other: { type: 'cron', schedule: '0 4 * * *' } });

    // Assess
    expect(older.status).toBe(201);
    expect(older.json.triggers).toBeUndefined();
    expect(older.json.warnings).toContainEqual(
      expect.objectContaining({ code: 'TRIGGER', path: '$.triggers' }),
    );
    expect((await trigger(call, 'other')).status).toBe(404);
    expect((await trigger(call, 'nightly')).json.version).toBe('2.0.0');
  });

  it('refuses, before publishing, an id taken by a trigger made through the API', async () => {
    // Prepare
    const { call } = await apiWithTriggers();
    await call('PUT', `/v1/tenants/${TENANT}/triggers/nightly`, {
      type: 'cron',
      workflow: 'hello',
      schedule: '0 1 * * *',
    });

    // Act
    const refused = await publish(call, '1.0.0', { nightly: { type: 'cron', schedule: '0 2 * * *' } });

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'TRIGGER_TAKEN', path: '$.triggers.nightly' });
    expect((await call('GET', `/v1/tenants/${TENANT}/workflows/report`)).status).toBe(404);
    expect((await trigger(call, 'nightly')).json.workflow).toBe('hello');
  });

  it('lets operators pause a defined trigger but not replace or delete it through the API', async () => {
    // Prepare
    const { call } = await apiWithTriggers();
    await publish(call, '1.0.0', { nightly: { type: 'cron', schedule: '0 2 * * *' } });

    // Act
    const replaced = await call('PUT', `/v1/tenants/${TENANT}/triggers/nightly`, {
      type: 'cron',
      workflow: 'report',
      schedule: '0 5 * * *',
    });
    const deleted = await call('DELETE', `/v1/tenants/${TENANT}/triggers/nightly`);
    const paused = await call('POST', `/v1/tenants/${TENANT}/triggers/nightly/pause`);

    // Assess
    expect(replaced.status).toBe(409);
    expect(replaced.json.error.code).toBe('TRIGGER_DEFINED');
    expect(deleted.status).toBe(409);
    expect(paused.status).toBe(200);
  });

  it('reports bad entries at validate time with their paths, as the trigger API would', () => {
    // Act
    const result = validateDefinition(
      report('1.0.0', {
        nightly: { type: 'cron', schedule: '61 * * * *' },
        orders: { type: 'event', pattern: { detail: { total: [{ numeric: ['>'] }] } } },
        hook: { type: 'webhook', timezone: 'UTC' },
        pinned: { type: 'cron', schedule: '0 2 * * *', workflow: 'other' },
      }),
    );

    // Assess
    expect(result.valid).toBe(false);
    expect(result.errors.map((e) => e.path).sort()).toEqual([
      '$.triggers.hook.timezone',
      '$.triggers.nightly.schedule',
      '$.triggers.orders.pattern.detail.total[0].numeric',
      '$.triggers.pinned.workflow',
    ]);
  });
});
