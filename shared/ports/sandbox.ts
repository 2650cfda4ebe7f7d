/**
 * The sandbox port: where tenant code runs. JSONata expressions (`with`, `when`, `if`, run
 * `outputs`) and script nodes are untrusted: the engine and the script executor hand them to a
 * sandbox instead of running them on the thread that serves every other run. The adapter
 * (`shared/adapters/sandbox/`) runs them in worker threads with a memory cap and kills a thread at
 * its deadline, whatever the code does; the in-thread bounds (JSONata hooks, QuickJS interrupt
 * handler, Lua count hook) stay the first line inside the thread.
 *
 * Everything that crosses the port is structured-clonable data: no functions, no clocks.
 */
import type { ExecutionResult } from './executor.ts';

/** What an expression can read: `$inputs`, `$nodes.<id>.output`, `$run`, and `$item`/`$index` in a map. */
export interface ExpressionScope {
  readonly inputs: unknown;
  readonly nodes: Readonly<Record<string, { output: unknown }>>;
  readonly run: unknown;
  readonly item?: unknown;
  readonly index?: number;
}

/** One template (a `with` value, `outputs`) or one condition (`when`, `if`) to evaluate. */
export interface ExpressionJob {
  readonly kind: 'template' | 'condition';
  /** The template (any JSON with `{% %}` strings) or the condition's source. */
  readonly value: unknown;
  /** Only the variables the expressions can read (the engine drops the others). */
  readonly scope: ExpressionScope;
  /** JSON path of `value` in the definition, for error messages. */
  readonly path: string;
  /** What `$now()` and `$millis()` return: the engine's clock, read when the job was made. */
  readonly nowMs: number;
  /** Per expression, timed inside the thread from when the job starts there. */
  readonly timeoutMs: number;
  /** Max depth of nested function calls. */
  readonly maxDepth?: number;
  /** Max size of one result as JSON, in bytes. */
  readonly maxResultBytes?: number;
  /**
   * The whole job's budget from when it starts in a thread (not while it waits for one): past
   * it, plus a short grace for the in-thread bound to answer, the thread is killed.
   */
  readonly budgetMs: number;
}

/** Codes of expression failures: the language's own, and the sandbox's verdicts. */
export type ExpressionErrorCode =
  | 'EXPRESSION'
  | 'EXPRESSION_TIMEOUT'
  | 'EXPRESSION_MEMORY'
  | 'EXPRESSION_ENGINE';

export type ExpressionOutcome =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: ExpressionErrorCode;
        readonly message: string;
        readonly path: string;
        readonly position?: number;
      };
    };

/** Evaluates expressions away from the caller's thread. Never rejects: failures are outcomes. */
export interface ExpressionSandbox {
  evaluate(job: ExpressionJob, signal?: AbortSignal): Promise<ExpressionOutcome>;
}

/** One attempt of a script node, as the sandbox runs it. */
export interface ScriptJob {
  readonly language: 'js' | 'lua';
  readonly code: string;
  /** The evaluated `with`. */
  readonly inputs: unknown;
  readonly ctx: { readonly runId: string; readonly nodeId: string; readonly attempt: number };
  /** The script engine's own memory limit (the node's `memoryMb`, capped by the service limit). */
  readonly memoryMb: number;
  /** Timed inside the thread from when the script starts there, not while it waits for a thread. */
  readonly budgetMs: number;
}

/**
 * Runs scripts away from the caller's thread. Never rejects: failures are `ExecutionResult`s
 * (SCRIPT_TIMEOUT, SCRIPT_MEMORY, SCRIPT_ABORTED, SCRIPT_ENGINE, ...). `signal` (the attempt's)
 * stops the script wherever it is: waiting for a thread or running.
 */
export interface ScriptSandbox {
  runScript(job: ScriptJob, signal?: AbortSignal): Promise<ExecutionResult>;
}

/** Both lanes, and a way to stop their threads. */
export interface Sandbox extends ExpressionSandbox, ScriptSandbox {
  /** Ends every thread; pending and later calls fail with an ENGINE code. Safe to call twice. */
  close(): Promise<void>;
}
