import type { NodeDefinition } from '../domain/definition-schema.ts';
import { type ExecutionRequest, type ExecutionResult, type Executor, succeeded } from '../ports/executor.ts';

export type NoopNode = Extract<NodeDefinition, { type: 'noop' }>;

/**
 * Does nothing and passes its evaluated `with` through as the output (`null` without one), so a
 * noop can gather or rename values for its children.
 * @example await new NoopExecutor().execute({ node, inputs: { a: 1 }, ctx }) // { kind: 'succeeded', output: { a: 1 } }
 */
export class NoopExecutor implements Executor<NoopNode> {
  readonly type = 'noop';

  async execute({ inputs }: ExecutionRequest<NoopNode>): Promise<ExecutionResult> {
    return succeeded(inputs ?? null);
  }
}
