import type { Executor } from './executor.ts';

/**
 * The executors of a deployment, by node `type`: what the engine reads. Compositions wire a
 * concrete set (`defaultExecutors()`, `shared/executors/registry.ts`); the engine imports only
 * this port.
 */
export interface Executors {
  has(type: string): boolean;
  /** The executor for `type`; throws naming the known types when there is none. */
  get(type: string): Executor;
  /** The registered types, sorted. */
  types(): string[];
}

/**
 * Executors by node `type`, filled once by a composition.
 * @example new ExecutorRegistry().register(new NoopExecutor()).get('noop')
 */
export class ExecutorRegistry implements Executors {
  private readonly executors = new Map<string, Executor>();

  /** Adds an executor; a second one for the same type is a wiring mistake and throws. */
  register(executor: Executor): this {
    if (this.executors.has(executor.type)) {
      throw new Error(`an executor for node type "${executor.type}" is already registered`);
    }
    this.executors.set(executor.type, executor);
    return this;
  }

  /**
   * Puts `executor` in place of the one registered for its type (or adds it): for tests that
   * script a kind's results (`defaultExecutors().override({ type: 'lambda', execute })`).
   */
  override(executor: Executor): this {
    this.executors.set(executor.type, executor);
    return this;
  }

  has(type: string): boolean {
    return this.executors.has(type);
  }

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
