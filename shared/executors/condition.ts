import type { NodeDefinition } from '../domain/definition-schema.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  type InputsSource,
  type Routing,
  succeeded,
} from '../ports/executor.ts';

export type ConditionNode = Extract<NodeDefinition, { type: 'condition' }>;

/**
 * A condition's branches as routes: its success goes down the chosen branch's edges only, and a
 * child on the other branch is skipped with a reason that says so. Children in neither branch
 * always run. (Validation, `domain/validate.ts`, checks that each branch child needs the
 * condition and sits in one branch only.)
 */
export const conditionRouting: Routing<ConditionNode> = {
  routesOf: (node) => ({ then: node.then, else: node.else }),
  chosenRoute: (output) => {
    const branch = (output as { branch?: unknown } | null | undefined)?.branch;
    return typeof branch === 'string' ? branch : undefined;
  },
  notTakenReason: (nodeId, chosen, childId) =>
    `branch not taken: condition "${nodeId}" chose "${chosen}", and "${childId}" is on the other branch`,
};

/**
 * The `condition` kind: the engine evaluates its `if` (not `with`) to a boolean, and the node
 * succeeds with the branch it chose; `routing` then skips the other branch. Inline: it holds no
 * worker time beyond the expression.
 * @example await new ConditionExecutor().execute({ node, inputs: true, ctx }) // { kind: 'succeeded', output: { result: true, branch: 'then' } }
 */
export class ConditionExecutor implements Executor<ConditionNode> {
  readonly type = 'condition';
  readonly inline = true;
  readonly routing = conditionRouting;

  inputsOf(node: ConditionNode): InputsSource {
    return { kind: 'condition', expression: node.if, field: 'if' };
  }

  async execute({ inputs }: ExecutionRequest<ConditionNode>): Promise<ExecutionResult> {
    const result = inputs === true;
    return succeeded({ result, branch: result ? 'then' : 'else' });
  }
}
