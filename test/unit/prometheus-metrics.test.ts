import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { createApp } from '../../shared/api/app.ts';
import { PrometheusMetrics } from '../../shared/monitor/prometheus.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { SkeinEvent } from '../../shared/ports/notifier.ts';

const base = { tenant: 'demo', workflow: 'hello', runId: 'r1', time: '2026-01-01T00:00:00.000Z' } as const;

describe('PrometheusMetrics', () => {
  it('counts runs started and ended by status, node durations, and the queue depth', () => {
    // Prepare
    const metrics = new PrometheusMetrics();
    const events: SkeinEvent[] = [
      { ...base, type: 'run.started', severity: 'info' },
      { ...base, type: 'run.started', severity: 'info', runId: 'r2' },
      { ...base, type: 'node.succeeded', severity: 'info', nodeId: 'a', durationMs: 40 },
      { ...base, type: 'node.failed', severity: 'error', nodeId: 'b', durationMs: 2_000 },
      { ...base, type: 'run.failed', severity: 'error', durationMs: 3_000 },
      { ...base, type: 'run.paused', severity: 'info' },
    ];

    // Act
    metrics.observe(events);
    const text = metrics.render({ visible: 3, inFlight: 1, delayed: 0 });

    // Assess
    expect(text).toContain('skein_runs_started_total 2');
    expect(text).toContain('skein_runs_ended_total{status="failed"} 1');
    expect(text).not.toContain('status="paused"');
    expect(text).not.toContain('demo');
    expect(text).not.toContain('hello');
    expect(text).toContain('skein_node_duration_seconds_bucket{outcome="succeeded",le="0.05"} 1');
    expect(text).toContain('skein_node_duration_seconds_bucket{outcome="failed",le="1"} 0');
    expect(text).toContain('skein_node_duration_seconds_count{outcome="failed"} 1');
    expect(text).toContain('skein_queue_messages{state="visible"} 3');
  });

  it('is served at GET /metrics without a key when the app is given it, and documented', async () => {
    // Prepare
    const metrics = new PrometheusMetrics();
    metrics.observe([{ ...base, type: 'run.started', severity: 'info' }]);
    const app = createApp({
      definitions: new MemoryDefinitionStore(),
      clock: new FakeClock(),
      apiKeys: new MemoryApiKeyStore(),
      ids: sequentialIds('k'),
      storeName: 'memory',
      metrics: async () => metrics.render(),
    });

    // Act
    const response = await app.request('/metrics');
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('skein_runs_started_total');
    expect(Object.keys(doc.paths)).toContain('/metrics');
  });
});
