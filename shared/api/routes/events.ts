import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { SkeinError } from '../../domain/problems.ts';
import type { RunEngine } from '../../engine/run-engine.ts';
import type { EventHub } from '../../monitor/event-hub.ts';
import type { EventLog } from '../../ports/event-log.ts';
import type { SkeinEvent } from '../../ports/notifier.ts';
import type { ApiEnv } from '../auth.ts';
import { eventStreamQuerySchema } from '../event-schemas.ts';
import { parseQuery } from '../query.ts';

export interface EventRouteDeps {
  readonly engine?: RunEngine;
  /** Each run's published events. */
  readonly log?: EventLog;
  /** Live events (local mode only: an in-process hub fed by the monitor). */
  readonly hub?: EventHub;
  /** Keep-alive comments on a quiet stream. @default 15_000 */
  readonly keepAliveMs?: number;
}

/**
 * Run events, mounted at `/v1/tenants/{tenant}`: `GET /runs/{run}/events` (the run's history, in
 * order) and `GET /events/stream` (Server-Sent Events of the tenant's events as they are
 * published, filtered by `workflow`, `type`, `severity`, `run`: comma-separated lists).
 */
export function eventRoutes(deps: EventRouteDeps) {
  const app = new Hono<ApiEnv>();

  if (deps.log && deps.engine) {
    const { log, engine } = deps;
    app.get('/runs/:run/events', async (c) => {
      const runId = c.req.param('run');
      await engine.getRunRecord(c.get('tenant'), runId);
      return c.json({ items: await log.list(runId) });
    });
  }

  if (deps.hub) {
    const hub = deps.hub;
    app.get('/events/stream', async (c) => {
      if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
        throw new SkeinError(
          'ACCEPT_EVENT_STREAM',
          'this is a Server-Sent Events stream: send "Accept: text/event-stream" (curl -N -H "Accept: text/event-stream" ...)',
          'invalid',
          '$.headers.accept',
        );
      }
      const tenant = c.get('tenant');
      const query = parseQuery(eventStreamQuerySchema, c.req.query());
      const wanted = (event: SkeinEvent) =>
        event.tenant === tenant &&
        listed(query.workflow, event.workflow) &&
        listed(query.type, event.type) &&
        listed(query.severity, event.severity) &&
        listed(query.run, event.runId);
      return streamSSE(c, async (stream) => {
        const pending: SkeinEvent[] = [];
        let wake: (() => void) | undefined;
        const off = hub.subscribe((event) => {
          if (!wanted(event)) return;
          pending.push(event);
          wake?.();
        });
        let open = true;
        stream.onAbort(() => {
          open = false;
          wake?.();
        });
        try {
          await stream.writeSSE({ event: 'ready', data: '{}' });
          while (open) {
            const next = pending.shift();
            if (next) {
              await stream.writeSSE({ event: next.type, data: JSON.stringify(next) });
              continue;
            }
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, deps.keepAliveMs ?? 15_000);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = undefined;
            if (open && pending.length === 0) await stream.write(': keep-alive\n\n');
          }
        } finally {
          off();
        }
      });
    });
  }

  return app;
}

function listed(allowed: readonly string[] | undefined, value: string | undefined): boolean {
  return allowed === undefined || (value !== undefined && allowed.includes(value));
}
