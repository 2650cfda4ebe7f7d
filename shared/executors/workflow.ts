import type { NodeDefinition } from '../domain/definition-schema.ts';
import { parseDuration } from '../domain/duration.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  succeeded,
} from '../ports/executor.ts';

export type WorkflowNode = Extract<NodeDefinition, { type: 'workflow' }>;

/** Codes of a child's end that a retry of the node may cure (a new attempt starts a new child). */
const RETRYABLE_CHILD_ENDS: ReadonlySet<string> = new Set(['CHILD_FAILED', 'CHILD_TIMED_OUT']);

/**
 * The `workflow` kind (sub-workflows): the first claim asks the engine to start a child run of
 * `workflow` pinned to the highest version `version` (a range) allows, with the evaluated `with` as
 * its inputs; the node then waits, holding no worker, until the child ends or the node's own
 * `timeout` passes. The claim the child's end wakes succeeds with the child's outputs, or fails
 * with `CHILD_FAILED` / `CHILD_TIMED_OUT` (retried per the node's policy: a new attempt is a new
 * child run) or `CHILD_CANCELLED` (not retried unless `retryOn` names it). The node's deadline
 * fails it with `WORKFLOW_TIMEOUT`.
 * @example await new WorkflowExecutor().execute({ node: { type: 'workflow', workflow: 'greet', version: '^1.0.0' }, inputs: { name: 'Ada' }, ctx })
 * // { kind: 'spawn', children: [{ kind: 'run', workflow: 'greet', version: '^1.0.0', inputs: { name: 'Ada' } }] }
 */
export class WorkflowExecutor implements Executor<WorkflowNode> {
  readonly type = 'workflow';
  readonly inline = true;
  readonly awaitsCompletion = true;

  async execute({ node, inputs, ctx }: ExecutionRequest<WorkflowNode>): Promise<ExecutionResult> {
    const given = ctx.completion;
    if (given === undefined) {
      const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
      return {
        kind: 'spawn',
        children: [{ kind: 'run', workflow: node.workflow, version: node.version, inputs: inputs ?? {} }],
        ...(timeoutMs === undefined ? {} : { until: ctx.now + timeoutMs }),
      };
    }
    switch (given.kind) {
      case 'completed':
        return succeeded(given.output);
      case 'errored':
        return failure(given.error.code, given.error.message, RETRYABLE_CHILD_ENDS.has(given.error.code));
      case 'expired':
        return failure(
          'WORKFLOW_TIMEOUT',
          `the child run of node "${ctx.nodeId}" did not end by ${given.deadline}: give the node a longer ` +
            '`timeout`, or make the child workflow faster',
        );
    }
  }
}
