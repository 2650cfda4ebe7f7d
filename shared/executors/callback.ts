import type { NodeDefinition } from '../domain/definition-schema.ts';
import { parseDuration } from '../domain/duration.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  succeeded,
} from '../ports/executor.ts';

export type CallbackNode = Extract<NodeDefinition, { type: 'callback' }>;

/**
 * How long a callback waits without a completion or a heartbeat when its node sets no `timeout`:
 * a day, long enough for a person to act, short enough that a forgotten approval ends. The
 * definition's `defaults.timeout` does not apply: it is meant for nodes that hold a worker.
 */
export const DEFAULT_CALLBACK_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The window of a callback node: its own `timeout`, else a day. */
export function callbackWindowMs(node: { readonly timeout?: string | number }): number {
  const own = node.timeout === undefined ? undefined : parseDuration(node.timeout);
  return own ?? DEFAULT_CALLBACK_WINDOW_MS;
}

/**
 * The `callback` kind (approvals, human steps, long external jobs): the first claim suspends the
 * node until an outside completion (`POST .../runs/{run}/nodes/{node}/complete` with the token the
 * engine issues) or until its window passes; a heartbeat moves the deadline one window on. The
 * claim the completion wakes succeeds with the given output or fails with the given error (retried
 * per the node's policy when it lists the code in `retryOn`); the deadline fails it with
 * `CALLBACK_TIMEOUT`, retried the same way (a retry waits again, with a new token).
 * @example await new CallbackExecutor().execute({ node: { type: 'callback', timeout: '1h' }, inputs: {}, ctx })
 * // { kind: 'suspend-for-completion', until: ctx.now + 3_600_000 }
 */
export class CallbackExecutor implements Executor<CallbackNode> {
  readonly type = 'callback';
  readonly inline = true;
  readonly awaitsCompletion = true;

  async execute({ node, ctx }: ExecutionRequest<CallbackNode>): Promise<ExecutionResult> {
    const given = ctx.completion;
    if (given === undefined)
      return { kind: 'suspend-for-completion', until: ctx.now + callbackWindowMs(node) };
    switch (given.kind) {
      case 'completed':
        return succeeded(given.output);
      case 'errored':
        return failure(given.error.code, given.error.message);
      case 'expired':
        return failure(
          'CALLBACK_TIMEOUT',
          `node "${ctx.nodeId}" was not completed by ${given.deadline}: complete it sooner, send heartbeats, ` +
            'or give it a longer `timeout`',
        );
    }
  }
}
