/**
 * `npm start`'s monitor on the embedded store: the run store's outbox (read by the SQLite stream
 * source, in the DynamoDB stream record shape) → the same monitor handler as on AWS → the
 * recording notifier (run histories in `SqliteEventLog`, counts in `SqliteRunCounters`, the
 * console, the SSE hub, Prometheus metrics) → subscriptions matched in process
 * (`LocalSubscriptionNotifier`, the SNS filter policy's rules) → the webhook deliverer's queue (a
 * `SqliteQueue`, durable) → the same deliverer handler as on Lambda. No SNS, no fauxqs.
 */
import {
  LocalSubscriptionNotifier,
  localSubscriptionBinder,
} from '../../shared/adapters/local-subscription-delivery.ts';
import { SqliteQueue } from '../../shared/adapters/sqlite/sqlite-queue.ts';
import { webhookSender } from '../../shared/adapters/webhook-sender.ts';
import type { SubscriptionDeps } from '../../shared/engine/subscriptions.ts';
import type { GuardOptions } from '../../shared/executors/ssrf-guard.ts';
import { createDelivererHandler } from '../../shared/handlers/deliverer.ts';
import { createMonitorHandler } from '../../shared/handlers/monitor.ts';
import { EventHub } from '../../shared/monitor/event-hub.ts';
import type { NodeEventLevel } from '../../shared/monitor/events.ts';
import { PrometheusMetrics } from '../../shared/monitor/prometheus.ts';
import { recordingNotifier } from '../../shared/monitor/recording-notifier.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import type { Notifier, SkeinEvent } from '../../shared/ports/notifier.ts';
import type { RunCounters } from '../../shared/ports/run-counters.ts';
import type { LocalSqliteDeps } from '../composition/local-sqlite.ts';
import { describe, NO_METRICS } from './monitor-common.ts';
import { startSqliteStreamSource } from './sqlite-stream-source.ts';
import { startSqsEventSource } from './sqs-event-source.ts';

/** What start.ts hands the API and the triggers, on either store. */
export interface RuntimeMonitor {
  readonly subscriptions: Omit<SubscriptionDeps, 'clock' | 'ids'>;
  readonly events: { readonly log: EventLog; readonly hub: EventHub };
  /** Records, tells the listeners (console, SSE) and publishes events: trigger events go here too. */
  readonly notifier: Notifier;
  readonly metrics: PrometheusMetrics;
  readonly runCounters: RunCounters;
  stop(): Promise<void>;
}

export interface SqliteMonitorOptions {
  readonly deps: LocalSqliteDeps;
  /** The SSRF guard of http nodes (allow-list, denied ports): the deliverer applies it too. */
  readonly guard: GuardOptions;
  /** Told about every published event (the console). */
  readonly onEvents?: ((events: readonly SkeinEvent[]) => void) | undefined;
  readonly onError: (error: unknown) => void;
  /** @default 'all' */
  readonly nodeEvents?: NodeEventLevel | undefined;
}

/** @example const monitor = startSqliteMonitor({ deps, guard, onError: console.error }); */
export function startSqliteMonitor(options: SqliteMonitorOptions): RuntimeMonitor {
  const { deps, onError } = options;
  const webhooks = new SqliteQueue(deps.sqlite, { name: 'webhooks', visibilitySeconds: 60 });
  const hub = new EventHub();
  const metrics = new PrometheusMetrics();
  const notifier = recordingNotifier({
    notifier: new LocalSubscriptionNotifier({
      subscriptions: deps.subscriptions,
      queue: webhooks,
      clock: deps.clock,
      ids: deps.ids,
    }),
    log: deps.events,
    counters: deps.runCounters,
    listeners: [
      (events) => hub.publish(events),
      (events) => metrics.observe(events),
      ...(options.onEvents ? [options.onEvents] : []),
    ],
  });
  const log = (message: string, details: unknown) => onError(new Error(`${message}: ${describe(details)}`));
  // The outbox holds only what the monitor mapping's filter lets through (decided at write time).
  const stream = startSqliteStreamSource({
    store: deps.runs,
    handler: createMonitorHandler({
      notifier,
      metrics: NO_METRICS,
      runContext: async (runId) => {
        const run = await deps.runs.getRun(runId);
        return run && { tenant: run.tenant, workflow: run.workflow, version: run.version };
      },
      clock: deps.clock,
      log,
      nodeEvents: options.nodeEvents ?? 'all',
    }),
    onError,
  });
  const deliverer = startSqsEventSource({
    queue: webhooks,
    queueArn: 'arn:skein:local:queue:webhooks',
    handler: createDelivererHandler({
      subscriptions: deps.subscriptions,
      send: webhookSender({ guard: options.guard }),
      queue: webhooks,
      clock: deps.clock,
      log,
    }),
    waitSeconds: 1,
    onError,
  });
  return {
    subscriptions: {
      subscriptions: deps.subscriptions,
      binder: localSubscriptionBinder(deps.ids),
      allowPlainHttp: true,
    },
    events: { log: deps.events, hub },
    notifier,
    metrics,
    runCounters: deps.runCounters,
    stop: async () => {
      await Promise.all([stream.stop(), deliverer.stop()]);
    },
  };
}
