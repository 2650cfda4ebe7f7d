import { describe, expect, it } from 'vitest';
import { entryOf } from '../../shared/adapters/aws/sns-notifier.ts';
import { LocalEventBus } from '../../shared/adapters/local-event-bus.ts';
import {
  type BusEnvelope,
  cachedEventTriggers,
  matchEvent,
  sourceTenant,
} from '../../shared/engine/triggers/events.ts';
import { putTrigger } from '../../shared/engine/triggers/manage.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { triggerHarness } from './trigger-fixtures.ts';

const OTHER = 'other';

/** `hello` published for TENANT and OTHER, with an event trigger on shipped orders over 100 for each. */
async function eventHarness() {
  const h = await triggerHarness();
  await h.harness.publish(
    { id: 'hello', inputs: { name: { type: 'string' } }, nodes: { a: { type: 'noop' } } },
    '1.0.0',
    OTHER,
  );
  const body = {
    type: 'event' as const,
    workflow: 'hello',
    inputs: { name: '{% $inputs.detail.customer & "/" & $inputs."detail-type" %}' },
    pattern: { 'detail-type': ['order.shipped'], detail: { total: [{ numeric: ['>', 100] }] } },
  };
  await h.put('big-orders', body);
  await putTrigger(h.deps, OTHER, 'big-orders', body);
  const event = (id: string, source: string, total = 250): BusEnvelope => ({
    id,
    source,
    'detail-type': 'order.shipped',
    time: '2026-01-01T00:00:00Z',
    detail: { customer: 'ada', total },
  });
  const match = async (e: BusEnvelope) => matchEvent(h.deps, await h.deps.triggers.listEvent(), e);
  const runsOfOther = async () => (await h.harness.engine.listRuns(OTHER, { limit: 100 })).items;
  return { ...h, event, match, runsOfOther };
}

describe('event triggers', () => {
  it('starts a run of the trigger’s tenant for a matching event, the event in the template', async () => {
    // Prepare
    const { match, event, harness, runsOf, runsOfOther } = await eventHarness();

    // Act
    const result = await match(event('e-1', `skein.tenant.${TENANT}.shop`));

    // Assess
    expect(result.matched).toEqual([
      { tenant: TENANT, triggerId: 'big-orders', result: expect.objectContaining({ outcome: 'started' }) },
    ]);
    const [run] = await runsOf();
    expect(await harness.engine.getRun(TENANT, run?.runId ?? '')).toMatchObject({
      inputs: { name: 'ada/order.shipped' },
      trigger: { triggerId: 'big-orders', eventId: 'e-1' },
    });
    expect(await runsOfOther()).toHaveLength(0);
  });

  it('never lets a tenant’s trigger see another tenant’s events, whatever its pattern', async () => {
    // Prepare
    const { match, event, put, runsOf } = await eventHarness();
    await put('everything', { type: 'event', workflow: 'hello', pattern: { source: [{ prefix: '' }] } });

    // Act
    const result = await match(event('e-1', `skein.tenant.${OTHER}`));

    // Assess
    expect(result.matched.map((m) => m.tenant)).toEqual([OTHER]);
    expect(await runsOf()).toHaveLength(0);
  });

  it('lets every tenant’s triggers match an event from outside Skein, and none an unknown skein.* source', async () => {
    // Prepare
    const { match, event } = await eventHarness();

    // Act
    const outside = await match(event('e-1', 'com.example.shop'));
    const reserved = await match(event('e-2', 'skein.monitor'));

    // Assess
    expect(outside.matched.map((m) => m.tenant).sort()).toEqual([OTHER, TENANT].sort());
    expect(reserved.matched).toEqual([]);
  });

  it('starts one run for an event delivered twice', async () => {
    // Prepare
    const { match, event, runsOf } = await eventHarness();
    const first = await match(event('e-1', 'com.example.shop'));

    // Act
    const again = await match(event('e-1', 'com.example.shop'));

    // Assess
    const mine = (r: typeof first) => r.matched.find((m) => m.tenant === TENANT)?.result;
    expect(mine(again)).toMatchObject({ outcome: 'duplicate', runId: mine(first)?.runId });
    expect(await runsOf()).toHaveLength(1);
  });

  it('ignores events the pattern does not match and paused triggers', async () => {
    // Prepare
    const { match, event, put, runsOf } = await eventHarness();

    // Act
    const small = await match(event('e-1', `skein.tenant.${TENANT}`, 50));
    await put('big-orders', {
      type: 'event',
      workflow: 'hello',
      enabled: false,
      pattern: { 'detail-type': ['order.shipped'] },
    });
    const paused = await match(event('e-2', `skein.tenant.${TENANT}`));

    // Assess
    expect(small.matched).toEqual([]);
    expect(paused.matched).toEqual([]);
    expect(await runsOf()).toHaveLength(0);
  });

  it('records a firing that cannot start a run and goes on with the other triggers', async () => {
    // Prepare
    const { match, event, deps, put, events } = await eventHarness();
    await put('broken', {
      type: 'event',
      workflow: 'hello',
      inputs: { name: '{% $number("x") %}' },
      pattern: { source: ['com.example.shop'] },
    });

    // Act
    const result = await match(event('e-1', 'com.example.shop'));

    // Assess
    const outcomes = Object.fromEntries(
      result.matched.map((m) => [`${m.tenant}/${m.triggerId}`, m.result.outcome]),
    );
    expect(outcomes).toEqual({
      [`${TENANT}/big-orders`]: 'started',
      [`${TENANT}/broken`]: 'failed',
      [`${OTHER}/big-orders`]: 'started',
    });
    const [firing] = await deps.triggers.firings(TENANT, 'broken');
    expect(firing).toMatchObject({ outcome: 'failed', eventId: 'e-1', error: { code: expect.any(String) } });
    expect(events.some((e) => e.type === 'trigger.failed' && e.triggerId === 'broken')).toBe(true);
  });

  it('refuses a trigger whose pattern is not a valid EventBridge pattern, naming the path', async () => {
    // Prepare
    const { put } = await eventHarness();

    // Act
    const bad = put('bad', {
      type: 'event',
      workflow: 'hello',
      pattern: { detail: { total: [{ numeric: ['>'] }] } },
    });
    const missing = put('missing', { type: 'event', workflow: 'hello' });
    const stray = put('stray', {
      type: 'event',
      workflow: 'hello',
      pattern: { source: ['x'] },
      schedule: '* * * * *',
    });

    // Assess
    await expect(bad).rejects.toMatchObject({
      code: 'INVALID_PATTERN',
      path: expect.stringMatching(/^\$\.pattern\.detail\.total/),
    });
    await expect(missing).rejects.toMatchObject({ code: 'INVALID_PATTERN', path: '$.pattern' });
    await expect(stray).rejects.toMatchObject({ code: 'INVALID_TRIGGER', path: '$.schedule' });
  });

  it('reads the triggers once per ttl, and again after a failed read', async () => {
    // Prepare
    const { deps, harness } = await eventHarness();
    let reads = 0;
    let fail = true;
    const counting = {
      ...deps,
      triggers: Object.assign(Object.create(deps.triggers), {
        listEvent: async () => {
          reads++;
          if (fail) throw new Error('throttled');
          return deps.triggers.listEvent();
        },
      }),
    };
    const triggers = cachedEventTriggers(counting, 15_000);

    // Act
    await expect(triggers()).rejects.toThrow('throttled');
    fail = false;
    const first = await triggers();
    await triggers();
    harness.clock.advance(15_000);
    await triggers();

    // Assess
    expect(first).toHaveLength(2);
    expect(reads).toBe(3);
  });

  it('reads the tenant out of a Skein source only', () => {
    expect(sourceTenant('skein.tenant.acme')).toBe('acme');
    expect(sourceTenant('skein.tenant.acme.orders')).toBe('acme');
    expect(sourceTenant('skein.tenantacme')).toBeUndefined();
    expect(sourceTenant('com.example')).toBeUndefined();
  });
});

describe('trigger events for subscribers', () => {
  it('publishes trigger.fired with the run and trigger.failed without, pinned to the trigger’s tenant', async () => {
    // Prepare
    const h = await eventHarness();
    const published: SkeinEvent[] = [];
    const deps = {
      ...h.deps,
      notifier: { publish: async (events: readonly SkeinEvent[]) => void published.push(...events) },
    };
    await h.put('broken', {
      type: 'event',
      workflow: 'hello',
      inputs: { name: '{% $number("x") %}' },
      pattern: { source: ['com.example.shop'] },
    });

    // Act
    const result = await matchEvent(
      deps,
      await deps.triggers.listEvent(),
      h.event('e-1', 'com.example.shop'),
    );

    // Assess
    const runOf = (tenant: string, id: string) =>
      result.matched.find((m) => m.tenant === tenant && m.triggerId === id)?.result.runId;
    expect(published).toHaveLength(3);
    expect(published).toContainEqual({
      type: 'trigger.fired',
      severity: 'info',
      tenant: TENANT,
      workflow: 'hello',
      version: '1.0.0',
      runId: runOf(TENANT, 'big-orders'),
      time: '2026-01-01T00:00:00.000Z',
      trigger: 'big-orders',
    });
    expect(published).toContainEqual(
      expect.objectContaining({ type: 'trigger.fired', tenant: OTHER, runId: runOf(OTHER, 'big-orders') }),
    );
    expect(published).toContainEqual(
      expect.objectContaining({
        type: 'trigger.failed',
        severity: 'error',
        tenant: TENANT,
        runId: '',
        trigger: 'broken',
        error: expect.objectContaining({ code: expect.any(String) }),
      }),
    );
  });

  it('keeps the firing when publishing fails, and says so', async () => {
    // Prepare
    const h = await eventHarness();
    const errors: unknown[] = [];
    const deps = {
      ...h.deps,
      notifier: { publish: async () => Promise.reject(new Error('SNS down')) },
      onNotifyError: (error: unknown) => errors.push(error),
    };

    // Act
    const result = await matchEvent(
      deps,
      await deps.triggers.listEvent(),
      h.event('e-1', `skein.tenant.${TENANT}`),
    );

    // Assess
    expect(result.matched[0]?.result.outcome).toBe('started');
    expect(errors).toEqual([new Error('SNS down')]);
  });

  it('gives a trigger event an SNS subject and the attributes subscriptions filter on', () => {
    // Act
    const fired = entryOf(
      {
        type: 'trigger.fired',
        severity: 'info',
        tenant: 'acme',
        workflow: 'report',
        runId: 'r1',
        time: 'now',
        trigger: 'nightly',
      },
      0,
    );
    const failed = entryOf(
      {
        type: 'trigger.failed',
        severity: 'error',
        tenant: 'acme',
        workflow: 'report',
        runId: '',
        time: 'now',
        trigger: 'nightly',
      },
      1,
    );

    // Assess
    expect(fired.Subject).toBe('Skein trigger.fired: report trigger nightly run r1');
    expect(failed.Subject).toBe('Skein trigger.failed: report trigger nightly');
    expect(failed.MessageAttributes).toEqual({
      tenant: { DataType: 'String', StringValue: 'acme' },
      workflow: { DataType: 'String', StringValue: 'report' },
      type: { DataType: 'String', StringValue: 'trigger.failed' },
      severity: { DataType: 'String', StringValue: 'error' },
      trigger: { DataType: 'String', StringValue: 'nightly' },
    });
  });
});

describe('LocalEventBus', () => {
  it('hands each event to the listener in EventBridge’s shape and returns their ids; a listener failure is only logged', async () => {
    // Prepare
    const seen: BusEnvelope[] = [];
    const errors: unknown[] = [];
    const bus = new LocalEventBus({
      clock: { now: () => Date.UTC(2026, 0, 1) },
      onError: (e) => errors.push(e),
    });
    bus.listen(async (event) => {
      seen.push(event);
      if (event['detail-type'] === 'boom') throw new Error('matcher down');
    });

    // Act
    const ids = await bus.publish([
      { source: 'skein.tenant.acme', detailType: 'order.shipped', detail: { id: 7 } },
      { source: 'skein.tenant.acme', detailType: 'boom', detail: {} },
    ]);

    // Assess
    expect(ids).toEqual(seen.map((e) => e.id));
    expect(seen[0]).toMatchObject({
      source: 'skein.tenant.acme',
      'detail-type': 'order.shipped',
      detail: { id: 7 },
      time: '2026-01-01T00:00:00.000Z',
    });
    expect(errors).toHaveLength(1);
  });
});
