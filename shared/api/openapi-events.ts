import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { runEventListSchema } from './event-schemas.ts';
import { errors, json } from './openapi.ts';
import { tenantParam } from './schemas.ts';

const list = (description: string) => z.string().optional().meta({ description });

/** Documents the event routes (see `routes/events.ts`) that this server mounts. */
export function documentEventRoutes(
  app: OpenAPIHono,
  mounted: { history: boolean; stream: boolean; metrics: boolean },
): void {
  const registry = app.openAPIRegistry;
  const security = [{ apiKey: [] }];
  const tenant = z.object({ tenant: tenantParam });
  if (mounted.history) {
    registry.registerPath({
      method: 'get',
      path: '/v1/tenants/{tenant}/runs/{run}/events',
      summary: 'A run’s published events, in time order',
      description:
        'What the monitor published for the run (run events, and node events of the deployment’s `nodeEvents` level), kept as long as the run. ' +
        'At most 1,000.',
      security,
      request: { params: tenant.extend({ run: z.string().meta({ param: { name: 'run', in: 'path' } }) }) },
      responses: { 200: json(runEventListSchema, 'The events'), ...errors },
    });
  }
  if (mounted.metrics) {
    registry.registerPath({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (local mode; no API key)',
      description:
        'skein_runs_started_total, skein_runs_ended_total{status}, skein_node_duration_seconds (histogram) and skein_queue_messages{state}.',
      responses: {
        200: { description: 'Exposition text', content: { 'text/plain': { schema: { type: 'string' } } } },
      },
    });
  }
  if (mounted.stream) {
    registry.registerPath({
      method: 'get',
      path: '/v1/tenants/{tenant}/events/stream',
      summary: 'Live events of the tenant (Server-Sent Events; local mode)',
      description:
        'Needs `Accept: text/event-stream` (otherwise 400 ACCEPT_EVENT_STREAM). Each event is an SSE event named by its type with the event JSON as data; ' +
        'a `ready` event opens the stream and `: keep-alive` comments keep it open. Only `npm start` serves it (its monitor runs in the same process).',
      security,
      request: {
        params: tenant,
        query: z.object({
          workflow: list('Comma-separated workflow ids.'),
          type: list('Comma-separated event types.'),
          severity: list('Comma-separated severities.'),
          run: list('Comma-separated run ids.'),
        }),
      },
      responses: {
        200: { description: 'The stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...errors,
      },
    });
  }
}
