import { jsonNestingProblem } from '../domain/bounded-parse.ts';
import { LIMITS } from '../domain/limits.ts';

/**
 * The executor port: one implementation per node type (`shared/executors/<type>.ts`), looked up by
 * the worker through the `Executors` port (`ports/executors.ts`). An executor never throws: every failure is an
 * `ExecutionResult` with a stable code so retry policies can match it (`retryOn`).
 */

/** What an executor knows about the attempt it runs. */
export interface ExecutionContext {
  readonly runId: string;
  readonly nodeId: string;
  /** 1-based: the first attempt is 1. */
  readonly attempt: number;
  /** Aborted when the run is cancelled or the worker must stop (lease or Lambda deadline). */
  readonly signal: AbortSignal;
  /** Stable idempotency key `run/node/attempt`, to pass on to side effects. */
  readonly idempotencyKey: string;
  /**
   * The attempt's time budget in ms: the node's timeout, or less when the worker must stop
   * sooner. Synchronous sandboxes cannot see `signal` fire while they run, so they read this.
   */
  readonly timeoutMs?: number;
}

export interface ExecutionRequest<N> {
  readonly node: N;
  /** The evaluated `with`. */
  readonly inputs: unknown;
  readonly ctx: ExecutionContext;
}

export interface ExecutionError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export type ExecutionResult =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: ExecutionError };

/**
 * Runs one attempt of one node type.
 * @example
 * const result = await executor.execute({ node, inputs: { n: 2 }, ctx });
 * if (!result.ok) console.log(result.error.code);
 */
export interface Executor<N = unknown> {
  /** The node `type` this executor runs, e.g. `script`. */
  readonly type: string;
  execute(request: ExecutionRequest<N>): Promise<ExecutionResult>;
}

/** Builds a failed result. */
export function failure(code: string, message: string, retryable = false): ExecutionResult {
  return { ok: false, error: { code, message, retryable } };
}

/** Builds an idempotency key `run/node/attempt`. */
export function idempotencyKeyOf(runId: string, nodeId: string, attempt: number): string {
  return `${runId}/${nodeId}/${attempt}`;
}

/**
 * Checks that an output is JSON, within `maxBytes` once serialised and nested at most 256 levels;
 * every executor's output is stored as a checkpoint, so the limits apply to all node types.
 * @example boundedOutput('fetch', { a: 1 }, 262_144) // { ok: true, output: { a: 1 } }
 */
export function boundedOutput(nodeId: string, output: unknown, maxBytes: number): ExecutionResult {
  const tooDeep = () =>
    failure(
      'OUTPUT_TOO_DEEP',
      `node "${nodeId}" returned a value nested more than ${LIMITS.maxNestingDepth} levels deep: flatten it`,
    );
  let json: string | undefined;
  try {
    json = JSON.stringify(output);
  } catch (error) {
    if (error instanceof RangeError) return tooDeep();
    return failure(
      'OUTPUT_NOT_JSON',
      `node "${nodeId}" returned a value that is not JSON: ${messageOf(error)}`,
    );
  }
  if (json === undefined) return { ok: true, output: null };
  // Outputs feed expressions, API answers and other nodes, all of which recurse per level.
  if (jsonNestingProblem(json) !== undefined) return tooDeep();
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    return failure(
      'OUTPUT_TOO_LARGE',
      `node "${nodeId}" returned ${bytes} bytes of JSON; the limit is ${maxBytes} bytes: return less data or split the work across nodes`,
    );
  }
  return { ok: true, output: JSON.parse(json) as unknown };
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
