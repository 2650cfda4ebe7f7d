import { LIMITS } from '../domain/limits.ts';
import { type ExecutionResult, failure } from '../ports/executor.ts';

/**
 * The failures of a script attempt, shared by the runners (inside the sandbox's thread) and the
 * sandbox (when it kills the thread). Retry policy (with an explicit `maxAttempts`): a thrown
 * error (SCRIPT_ERROR), an abort and a sandbox failure are retried, as Airflow and Temporal retry
 * any failure; limits are not (SCRIPT_TIMEOUT, SCRIPT_MEMORY, OUTPUT_TOO_LARGE: a script does no
 * I/O, so it would hit them again), nor is an error the script marks final (`NonRetryableError`,
 * or `retryable: false`).
 * A node's `retryOn` still narrows the retried codes.
 */

/** Why a running script was asked to stop. */
export type Stop = 'timeout' | 'aborted' | undefined;

export function timedOut(nodeId: string, timeoutMs: number): ExecutionResult {
  return failure(
    'SCRIPT_TIMEOUT',
    `script of node "${nodeId}" ran longer than ${timeoutMs} ms and was stopped: look for an endless loop or do less work per node`,
  );
}

/** An error the script raised: retried unless the script marked it final. */
export function scriptError(message: string, retryable: boolean): ExecutionResult {
  return failure('SCRIPT_ERROR', message, retryable);
}

export function aborted(nodeId: string, why = 'the attempt was aborted'): ExecutionResult {
  return failure('SCRIPT_ABORTED', `script of node "${nodeId}" was stopped because ${why}`, true);
}

/** The script engine's own allocator refused: the node's `memoryMb`. */
export function outOfMemory(nodeId: string, memoryMb: number): ExecutionResult {
  return failure(
    'SCRIPT_MEMORY',
    `script of node "${nodeId}" ran out of memory (limit ${memoryMb} MB): use less data or raise memoryMb (at most ${LIMITS.maxScriptMemoryMb})`,
  );
}

/** The sandbox's thread reached its heap cap (values crossing between the engine and JavaScript). */
export function threadOutOfMemory(nodeId: string, heapMb: number): ExecutionResult {
  return failure(
    'SCRIPT_MEMORY',
    `script of node "${nodeId}" ran out of memory: its thread reached the ${heapMb} MB heap cap, and was stopped: use less data`,
  );
}

export function tooLarge(nodeId: string, units: number): ExecutionResult {
  return failure(
    'OUTPUT_TOO_LARGE',
    `node "${nodeId}" returned at least ${units} bytes of JSON; the limit is ${LIMITS.maxOutputBytes} bytes: return less data or split the work across nodes`,
  );
}

/** The sandbox could not run the script (a thread that would not start or died): worth a retry. */
export function engineFailure(nodeId: string, message: string): ExecutionResult {
  return failure('SCRIPT_ENGINE', `script of node "${nodeId}" could not run: ${message}`, true);
}
