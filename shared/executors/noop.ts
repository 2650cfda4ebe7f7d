import type { NodeDefinition } from '../domain/definition-schema.ts';
import type { ExecutionRequest, ExecutionResult, Executor } from '../ports/executor.ts';

export type NoopNode = Extract<NodeDefinition, { type: 'noop' }>;

/**
 * Does nothing and passes its evaluated `with` through as the output (`null` without one), so a
 * noop can gather or rename values for its children.
 * @example await new NoopExecutor().execute({ node, inputs: { a: 1 }, ctx }) // { ok: true, output: { a: 1 } }
 */
export class NoopExecutor implements Executor<NoopNode> {
  readonly type = 'noop';

  async execute({ inputs }: ExecutionRequest<NoopNode>): Promise<ExecutionResult> {
    return { ok: true, output: inputs ?? null };
  }
}
