import { type ExecutionContext, idempotencyKeyOf } from '../../../shared/ports/executor.ts';

/**
 * An execution context for executor tests: run `run-1`, node `compute`, attempt 1, the engine's
 * clock at 2026-01-01T00:00:00Z, not woken from a wait, unless told.
 */
export function testContext(
  options: { nodeId?: string; attempt?: number; signal?: AbortSignal; now?: number; wakeAt?: string } = {},
): ExecutionContext {
  const { nodeId = 'compute', attempt = 1, signal = new AbortController().signal } = options;
  return {
    tenant: 'acme',
    runId: 'run-1',
    nodeId,
    attempt,
    signal,
    idempotencyKey: idempotencyKeyOf('run-1', nodeId, attempt),
    now: options.now ?? Date.UTC(2026, 0, 1),
    ...(options.wakeAt === undefined ? {} : { wakeAt: options.wakeAt }),
  };
}
