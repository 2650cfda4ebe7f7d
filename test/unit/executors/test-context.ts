import { type ExecutionContext, idempotencyKeyOf } from '../../../shared/ports/executor.ts';

/** An execution context for executor tests: run `run-1`, node `compute`, attempt 1 unless told. */
export function testContext(
  options: { nodeId?: string; attempt?: number; signal?: AbortSignal } = {},
): ExecutionContext {
  const { nodeId = 'compute', attempt = 1, signal = new AbortController().signal } = options;
  return {
    runId: 'run-1',
    nodeId,
    attempt,
    signal,
    idempotencyKey: idempotencyKeyOf('run-1', nodeId, attempt),
  };
}
