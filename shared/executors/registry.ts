import type { Executor } from '../ports/executor.ts';
import { EventExecutor, type EventExecutorOptions } from './event.ts';
import { HttpExecutor, type HttpExecutorOptions } from './http.ts';
import { NoopExecutor } from './noop.ts';
import { ScriptExecutor, type ScriptExecutorOptions } from './script.ts';
import { WaitExecutor } from './wait.ts';

/** Executors by node `type`; the worker looks each node's executor up here. */
export class ExecutorRegistry {
  private readonly executors = new Map<string, Executor>();

  /** Adds an executor; a second one for the same type is a wiring mistake and throws. */
  register(executor: Executor): this {
    if (this.executors.has(executor.type)) {
      throw new Error(`an executor for node type "${executor.type}" is already registered`);
    }
    this.executors.set(executor.type, executor);
    return this;
  }

  has(type: string): boolean {
    return this.executors.has(type);
  }

  /** The executor for `type`; throws naming the known types when there is none. */
  get(type: string): Executor {
    const executor = this.executors.get(type);
    if (executor === undefined) {
      const known = [...this.executors.keys()].sort().join(', ') || 'none';
      throw new Error(`no executor is registered for node type "${type}" (registered: ${known})`);
    }
    return executor;
  }

  types(): string[] {
    return [...this.executors.keys()].sort();
  }
}

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
