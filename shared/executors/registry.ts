import { ExecutorRegistry } from '../ports/executors.ts';
import { EventExecutor, type EventExecutorOptions } from './event.ts';
import { HttpExecutor, type HttpExecutorOptions } from './http.ts';
import { NoopExecutor } from './noop.ts';
import { ScriptExecutor, type ScriptExecutorOptions } from './script.ts';
import { WaitExecutor } from './wait.ts';

export interface DefaultExecutorOptions {
  readonly script?: ScriptExecutorOptions;
  /** The SSRF guard's allow-list (`host:port`) and, locally, the store's and queue's ports. */
  readonly http?: HttpExecutorOptions;
  /** The `event` node type, registered only with a publisher (the AWS composition passes EventBridge). */
  readonly event?: EventExecutorOptions;
}

/**
 * The executors every deployment has; a new node type adds one line here.
 * @example defaultExecutors({ script: { timeoutMs: 5000 } }).get('script')
 */
export function defaultExecutors(options: DefaultExecutorOptions = {}): ExecutorRegistry {
  const registry = new ExecutorRegistry()
    .register(new NoopExecutor())
    .register(new ScriptExecutor(options.script))
    .register(new HttpExecutor(options.http))
    .register(new WaitExecutor());
  return options.event ? registry.register(new EventExecutor(options.event)) : registry;
}
