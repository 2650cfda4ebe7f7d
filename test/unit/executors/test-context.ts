import {
  type CompletionOutcome,
  type ExecutionContext,
  idempotencyKeyOf,
} from '../../../shared/ports/executor.ts';

/**
 * An execution context for executor tests: tenant `acme`, run `run-1`, node `compute`, attempt 1,
 * the engine's clock at 2026-01-01T00:00:00Z, not woken from a wait or by a completion, unless told.
 */
export function testContext(
  options: {
    runId?: string;
    nodeId?: string;
    attempt?: number;
    signal?: AbortSignal;
    now?: number;
    wakeAt?: string;
    completion?: CompletionOutcome | undefined;
  } = {},
): ExecutionContext {
  const { runId = 'run-1', nodeId = 'compute', attempt = 1, signal = new AbortController().signal } = options;
  return {
    tenant: 'acme',
    runId,
    nodeId,
    attempt,
    signal,
    idempotencyKey: idempotencyKeyOf(runId, nodeId, attempt),
    now: options.now ?? Date.UTC(2026, 0, 1),
    ...(options.wakeAt === undefined ? {} : { wakeAt: options.wakeAt }),
    ...(options.completion === undefined ? {} : { completion: options.completion }),
  };
}
