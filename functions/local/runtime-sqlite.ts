/**
 * The engine's local runtime on the embedded store (`npm start`'s default, issue 13): every store
 * and the ready queue on one SQLite file (`localSqliteDeps`), the same worker and sweeper handlers
 * as on Lambda (the worker fed by pollers of the `SqliteQueue`, the sweeper by a timer), large
 * payloads as files, the sandbox's worker threads, and the monitor on the run store's outbox. No
 * Java, no fauxqs, no port but the API's: http nodes may call only the allow-listed `host:port`s.
 */
import { FilePayloadStore } from '../../shared/adapters/file-payload-store.ts';
import type { QueueDepth } from '../../shared/adapters/memory/queue.ts';
import { SandboxPool } from '../../shared/adapters/sandbox/sandbox-pool.ts';
import type { RunEngine } from '../../shared/engine/run-engine.ts';
import { parseHttpAllow } from '../../shared/executors/http-allow.ts';
import { createSweeperHandler } from '../../shared/handlers/sweeper.ts';
import type { LocalSqliteDeps } from '../composition/local-sqlite.ts';
import { localHttpPolicy } from './http-policy.ts';
import { localEngine, startLocalWorker } from './local-engine.ts';
import type { LocalRuntimeOptions } from './runtime.ts';
import { type RuntimeMonitor, startSqliteMonitor } from './sqlite-monitor.ts';

export interface SqliteRuntimeOptions
  extends Pick<
    LocalRuntimeOptions,
    | 'concurrency'
    | 'sweepEveryMs'
    | 'observer'
    | 'onError'
    | 'httpAllow'
    | 'onNotice'
    | 'tenantMaxActiveRuns'
    | 'secrets'
    | 'payloadThresholdBytes'
    | 'eventBus'
  > {
  /** The stores and queues on one database (`localSqliteDeps`). */
  readonly deps: LocalSqliteDeps;
  /** Where large values are kept as files (`<data dir>/payloads`). */
  readonly payloadDir: string;
  /** Run the monitor on the outbox: histories, counts, subscriptions, the SSE hub. @default not run */
  readonly monitor?: Pick<NonNullable<LocalRuntimeOptions['monitor']>, 'onEvents' | 'nodeEvents'>;
}

/** What start.ts uses of a local runtime, on either store. */
export interface RuntimeView {
  readonly engine: RunEngine;
  /** Messages in the ready queue. */
  readyDepth(): Promise<QueueDepth>;
  /** The `host:port`s http nodes may call. */
  readonly httpAllow: readonly string[];
  readonly monitor?: RuntimeMonitor;
  stop(): Promise<void>;
}

/** @example const runtime = startSqliteRuntime({ deps: localSqliteDeps('.skein/skein.db'), payloadDir: '.skein/payloads' }); */
export function startSqliteRuntime(options: SqliteRuntimeOptions): RuntimeView {
  const { deps } = options;
  const onError = options.onError ?? ((error: unknown) => console.error('skein worker:', error));
  const http = localHttpPolicy(options.httpAllow ?? [], []);
  for (const notice of http.notices) (options.onNotice ?? console.warn)(notice);
  const sandbox = new SandboxPool();
  const engine = localEngine({
    runs: deps.runs,
    payloads: new FilePayloadStore({ dir: options.payloadDir }),
    payloadThresholdBytes: options.payloadThresholdBytes,
    definitions: deps.definitions,
    queue: deps.queue,
    clock: deps.clock,
    ids: deps.ids,
    sandbox,
    http,
    secrets: options.secrets,
    eventBus: options.eventBus,
    observer: options.observer,
    tenantMaxActiveRuns: options.tenantMaxActiveRuns,
  });
  const worker = startLocalWorker({
    engine,
    queue: deps.queue,
    queueArn: 'arn:skein:local:queue:ready',
    concurrency: options.concurrency ?? 2,
    onError,
  });
  const monitor =
    options.monitor &&
    startSqliteMonitor({
      deps,
      guard: { allow: parseHttpAllow(http.allow), deniedPorts: http.deniedPorts },
      onEvents: options.monitor.onEvents,
      nodeEvents: options.monitor.nodeEvents,
      onError,
    });
  const sweeper = createSweeperHandler({ engine });
  const sweepTimer = setInterval(() => void sweeper().catch(onError), options.sweepEveryMs ?? 60_000);
  sweepTimer.unref();
  return {
    engine,
    readyDepth: async () => deps.queue.depth(),
    httpAllow: http.allow,
    ...(monitor && { monitor }),
    stop: async () => {
      clearInterval(sweepTimer);
      await Promise.all([worker.stop(), monitor?.stop()]);
      await sandbox.close();
    },
  };
}
