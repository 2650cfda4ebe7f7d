import type { NodeDefinition } from '../domain/definition-schema.ts';
import { LIMITS } from '../domain/limits.ts';
import {
  boundedOutput,
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  messageOf,
} from '../ports/executor.ts';
import type { FunctionInvoker } from '../ports/function-invoker.ts';

export type LambdaNode = Extract<NodeDefinition, { type: 'lambda' }>;

/**
 * Runs `lambda` nodes: invokes `function` (a name or ARN the deployment allow-lists) with the
 * evaluated `with` as its payload and takes the function's JSON result as the output. A function
 * that throws fails the node with `LAMBDA_FUNCTION_ERROR` (its error type and message; retried
 * per the node's policy); a function the deployment does not allow fails it at once with
 * `LAMBDA_NOT_ALLOWED`; an invocation that does not complete (throttled, timed out, unreachable)
 * is `LAMBDA_INVOKE_FAILED`, retryable.
 * @example new LambdaExecutor({ invoker }).execute({ node: { type: 'lambda', function: 'price' }, inputs: { n: 1 }, ctx })
 */
export class LambdaExecutor implements Executor<LambdaNode> {
  readonly type = 'lambda';

  constructor(private readonly options: { readonly invoker: FunctionInvoker }) {}

  async execute({ node, inputs, ctx }: ExecutionRequest<LambdaNode>): Promise<ExecutionResult> {
    const { invoker } = this.options;
    if (!invoker.allows(node.function)) {
      return {
        ...failure(
          'LAMBDA_NOT_ALLOWED',
          `node "${ctx.nodeId}" calls function "${node.function}", which this deployment does not allow (-c lambdaAllow on AWS, SKEIN_LOCAL_FUNCTIONS locally)`,
        ),
        final: true,
      };
    }
    let result: Awaited<ReturnType<FunctionInvoker['invoke']>>;
    try {
      result = await invoker.invoke(node.function, inputs ?? {}, {
        signal: ctx.signal,
        idempotencyKey: ctx.idempotencyKey,
      });
    } catch (error) {
      return failure(
        'LAMBDA_INVOKE_FAILED',
        `node "${ctx.nodeId}" could not invoke "${node.function}": ${messageOf(error)}`,
        true,
      );
    }
    if (!result.ok) {
      return failure(
        'LAMBDA_FUNCTION_ERROR',
        `function "${node.function}" failed (${result.errorType}): ${result.message}`,
        true,
      );
    }
    return boundedOutput(ctx.nodeId, result.output, LIMITS.maxOutputBytes);
  }
}
