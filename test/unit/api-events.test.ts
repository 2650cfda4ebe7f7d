import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../shared/adapters/memory/event-log.ts';
import { MemoryRunCounters } from '../../shared/adapters/memory/run-counters.ts';
import { EventHub } from '../../shared/monitor/event-hub.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { apiOnHarness } from './api-on-harness.ts';

const hello = { id: 'hello', nodes: { greet: { type: 'noop' } } };

async function setup() {
  const log = new MemoryEventLog();
  const hub = new EventHub();
  const api = await apiOnHarness({ events: { log, hub } });
  await api.harness.publish(hello);
  const started = await api.call('POST', `/v1/tenants/${TENANT}/workflows/hello/runs`, {});
  return { ...api, log, hub, runId: started.json.runId as string };
}

const event = (runId: string, type: SkeinEvent['type'], second: number, tenant = TENANT): SkeinEvent => ({
  type,
  severity: type.endsWith('failed') ? 'error' : 'info',
  tenant,
  workflow: 'hello',
  runId,
  time: `2026-01-01T00:00:0${second}.000Z`,
});

describe('GET /v1/tenants/{tenant}/runs/{run}/events', () => {
  it('returns the run’s events in time order', async () => {
    // Prepare
    const { call, log, runId } = await setup();
    await log.append([event(runId, 'run.succeeded', 3), event(runId, 'run.started', 1)]);

    // Act
    const { status, json } = await call('GET', `/v1/tenants/${TENANT}/runs/${runId}/events`);

    // Assess
    expect(status).toBe(200);
    expect(json.items.map((e: SkeinEvent) => e.type)).toEqual(['run.started', 'run.succeeded']);
  });

  it('is a 404 for another tenant’s run', async () => {
    // Prepare
    const { call, runId, otherKey } = await setup();

    // Act
    const { status, json } = await call(
      'GET',
      `/v1/tenants/other/runs/${runId}/events`,
      undefined,
      'application/json',
      otherKey,
    );

    // Assess
    expect(status).toBe(404);
    expect(json.error.code).toBeDefined();
  });
});

describe('GET /v1/tenants/{tenant}/events/stream', () => {
  it('streams the tenant’s events that pass the filter, and no other tenant’s', async () => {
    // Prepare
    const { harness, hub, runId } = await setup();
    const { app } = await appOf(harness, hub);
    const response = await app.request(`/v1/tenants/${TENANT}/events/stream?type=run.failed,run.started`, {
      headers: { authorization: `Bearer ${app.key}`, accept: 'text/event-stream' },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${needle}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('event: ready');

    // Act
    hub.publish([
      event(runId, 'run.started', 1, 'other'),
      event(runId, 'node.started', 2),
      event(runId, 'run.failed', 3),
    ]);
    await readUntil('event: run.failed');
    await reader.cancel();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(text).not.toContain('"tenant":"other"');
    expect(text).not.toContain('node.started');
    expect(text).toContain(`"runId":"${runId}"`);
  });

  it('asks for the event-stream Accept header with a 400', async () => {
    const { call } = await setup();
    const { status, json } = await call('GET', `/v1/tenants/${TENANT}/events/stream`);
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: 'ACCEPT_EVENT_STREAM', path: '$.headers.accept' });
  });
});

/** The harness's app again, with the raw `request` for reading a stream. */
async function appOf(harness: Awaited<ReturnType<typeof setup>>['harness'], hub: EventHub) {
  const { MemoryApiKeyStore } = await import('../../shared/adapters/memory/api-key-store.ts');
  const { createApp } = await import('../../shared/api/app.ts');
  const { createApiKey } = await import('../../shared/engine/api-keys.ts');
  const { sequentialIds } = await import('../../shared/ports/ids.ts');
  const apiKeys = new MemoryApiKeyStore();
  const { key } = await createApiKey({ apiKeys, clock: harness.clock, ids: sequentialIds('s') }, TENANT);
  const app = createApp({
    definitions: harness.definitions,
    clock: harness.clock,
    storeName: 'memory',
    apiKeys,
    ids: sequentialIds('x'),
    engine: harness.engine,
    events: { hub },
  });
  return { app: Object.assign(app, { key }) };
}

describe('GET /v1/tenants/{tenant}/workflows/{workflow} with run counts', () => {
  it('shows the runs started and ended by status', async () => {
    // Prepare
    const runCounters = new MemoryRunCounters();
    const api = await apiOnHarness({ runCounters });
    await api.harness.publish(hello);
    await runCounters.count([
      event('r1', 'run.started', 1),
      event('r1', 'run.failed', 2),
      event('r2', 'run.started', 3),
    ]);

    // Act
    const { status, json } = await api.call('GET', `/v1/tenants/${TENANT}/workflows/hello`);

    // Assess
    expect(status).toBe(200);
    expect(json.runs).toEqual({ started: 2, succeeded: 0, failed: 1, cancelled: 0, timed_out: 0 });
  });
});
