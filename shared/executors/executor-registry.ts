import type { Executor } from '../ports/executor.ts';

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
