import { jsonNestingProblem } from '../domain/bounded-parse.ts';
import { LIMITS } from '../domain/limits.ts';
import type { AttemptLogs } from './attempt-logs.ts';

/**
 * The executor port: one implementation per node type (`shared/executors/<type>.ts`), looked up by
 * the worker through the `Executors` port (`ports/executors.ts`). An executor never throws: every
 * failure is a `failed` result with a stable code so retry policies can match it (`retryOn`).
 */

/** What an executor knows about the attempt it runs. */
export interface ExecutionContext {
  /** The run's tenant: whose secrets an `http` node may send. */
  readonly tenant: string;
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
  /** The engine's clock when the attempt started (ms): a kind that schedules reads this, never the wall clock. */
  readonly now: number;
  /**
   * The time the node was parked until, when this claim woke it: after a `suspend-until` (a `wait`
   * resuming), and also after a retry's backoff.
   */
  readonly wakeAt?: string;
  /**
   * Set when this claim woke a node that waited for an outside completion (after a
   * `suspend-for-completion`): what the completion gave, or `expired` when its deadline came first.
   */
  readonly completion?: CompletionOutcome;
  /** The run's retry epoch (0 before any retry): with `attempt`, names this attempt's outside work. */
  readonly epoch?: number;
  /**
   * For a kind that declares `startsOnce`: the attempt whose outside work this one must continue
   * rather than start again — an earlier attempt that recorded it was starting work and then lost
   * its worker (a takeover), or whose start failed on the way (it may have happened). Name the
   * work after this, not `attempt`. @default attempt
   */
  readonly startAttempt?: number;
  /**
   * On the claim a completion or its deadline woke, after a `suspend-for-completion` with `ref`:
   * that `ref` (e.g. the execution ARN the node waited for).
   */
  readonly awaiting?: string;
}

/** How a wait for an outside completion ended (`ExecutionContext.completion`). */
export type CompletionOutcome =
  | { readonly kind: 'completed'; readonly output: unknown }
  | { readonly kind: 'errored'; readonly error: { readonly code: string; readonly message: string } }
  | { readonly kind: 'expired'; readonly deadline: string };

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

/**
 * How a node goes on after an attempt: the engine dispatches on `kind`, never on the node's type.
 *
 * | kind                     | the node                                           | used by                     |
 * | ------------------------ | -------------------------------------------------- | --------------------------- |
 * | `succeeded`              | SUCCEEDED with `output`; its children are released | every kind                  |
 * | `failed`                 | retried per its policy (RETRY_WAIT), or FAILED     | every kind                  |
 * | `suspend-until`          | WAITING, holding no worker, until `at`             | `wait`                      |
 * | `suspend-for-completion` | WAITING until an outside completion or `until`     | `callback`                  |
 * | `spawn`                  | runs children, then goes on                        | `workflow`, `map`           |
 *
 * The engine fails a node whose executor returns a variant it does not carry out yet with
 * `NODE_RESULT_UNSUPPORTED`, so a kind written ahead of the engine fails loudly, never hangs.
 */
export type ExecutionResult = Succeeded | Failed | SuspendUntil | SuspendForCompletion | Spawn;

/** The two results every kind may return (`boundedOutput` returns one of them). */
export type SucceededOrFailed = Succeeded | Failed;

/** The node succeeded: `output` (JSON, bounded by `boundedOutput`) is stored as its checkpoint. */
export interface Succeeded {
  readonly kind: 'succeeded';
  readonly output: unknown;
  /** What the attempt printed (scripts): stored with the attempt. Absent when nothing was. */
  readonly logs?: AttemptLogs;
}

/** The attempt failed: retried per the node's retry policy when `error.retryable` (or `retryOn`). */
export interface Failed {
  readonly kind: 'failed';
  readonly error: ExecutionError;
  /**
   * Fail the node now, whatever its retry policy (not even `retryOn` retries it): the same inputs
   * would fail the same way, e.g. a `wait` whose `with` names no time. @default false
   */
  readonly final?: boolean;
  /** What the attempt printed before it failed (scripts): stored with the attempt too. */
  readonly logs?: AttemptLogs;
}

/**
 * The node sleeps until `at` (epoch ms), holding no worker (a queue delay, or the timer beyond 15
 * minutes); then the engine runs its executor again with `ctx.wakeAt` set. Only kinds that declare
 * `suspends` may return it: the claim that wakes the node is not an attempt.
 */
export interface SuspendUntil {
  readonly kind: 'suspend-until';
  readonly at: number;
}

/**
 * The node waits for an outside completion (`POST .../nodes/{node}/complete` with the token the
 * engine makes: 256 random bits, stored as its sha256), holding no worker. A completion, or
 * `until` passing first, wakes it and the engine runs its executor again with `ctx.completion`.
 * A heartbeat moves the deadline to `now + (until - the time it suspended)`. Only kinds that
 * declare `awaitsCompletion` may return it.
 */
export interface SuspendForCompletion {
  readonly kind: 'suspend-for-completion';
  /**
   * When to give up waiting (epoch ms): the executor's `ctx.completion` is then `expired`.
   * Absent: no deadline, only with `ref` (the outside work's end always comes).
   */
  readonly until?: number;
  /**
   * The outside work the node waits for, by a name its end carries (a Step Functions execution
   * ARN): no token is issued; the end completes the node through `RunEngine.completeAwaited`,
   * which checks the node still waits for this `ref`. Right after the wait is written the engine
   * asks the kind's `endOf(ref)` once, for an end that came before the node waited.
   */
  readonly ref?: string;
}

/** How outside work a node waited for ended (`Executor.endOf`): the node's completion. */
export type AwaitedEnd =
  | { readonly output: unknown; readonly error?: undefined }
  | { readonly error: { readonly code: string; readonly message: string }; readonly output?: undefined };

/**
 * The node runs children and goes on when they end, holding no worker, for kinds that declare
 * `awaitsCompletion`: one `run` child (`workflow`: the engine starts a child run), or `item`
 * children (`map`: the node's template runs once per item, at most `maxConcurrency` at a time).
 * When the children have ended (or `until` passed) the executor runs again with
 * `ctx.completion`: the child run's outputs, or, for items, `{ items: ItemResult[] }` in index
 * order (`engine/map-run.ts`).
 */
export interface Spawn {
  readonly kind: 'spawn';
  readonly children: readonly SpawnedChild[];
  readonly maxConcurrency?: number;
  /** When to give up waiting (epoch ms): the executor's `ctx.completion` is then `expired`. @default no deadline */
  readonly until?: number;
}

export type SpawnedChild =
  | { readonly kind: 'item'; readonly index: number; readonly item: unknown }
  | { readonly kind: 'run'; readonly workflow: string; readonly version: string; readonly inputs: unknown };

/**
 * What the engine evaluates into an executor's `inputs`: a template (every `{% %}` in it), or one
 * condition expression, evaluated to a boolean with JSONata's truthiness. `field` names it in
 * error paths (`$.nodes.<id>.<field>`).
 */
export type InputsSource =
  | { readonly kind: 'template'; readonly template: unknown; readonly field: string }
  | { readonly kind: 'condition'; readonly expression: string; readonly field: string };

/**
 * How a kind that sends its success down some of its edges only (a condition's branches) routes:
 * a child on a route the output did not choose is passed a skip, as if its parent were skipped.
 * The plan compiles the routes once per version; the edges, the sweeper and a retry read them.
 */
export interface Routing<N> {
  /** The children on each route, e.g. `{ then: ['ship'], else: ['refund'] }`. */
  routesOf(node: N): Readonly<Record<string, readonly string[] | undefined>>;
  /** The route a succeeded node's `output` chose. */
  chosenRoute(output: unknown): string | undefined;
  /** The reason shown on `childId`, skipped because `nodeId` chose `chosen`. */
  notTakenReason(nodeId: string, chosen: string, childId: string): string;
}

/**
 * A node kind: its type, what the engine needs to know about it (the optional declarations), and
 * how one attempt runs. The engine never tests a node's type; it reads these declarations and
 * dispatches on the result's `kind`. One file per kind in `shared/executors/`.
 * @example
 * const result = await executor.execute({ node, inputs: { n: 2 }, ctx });
 * if (result.kind === 'failed') console.log(result.error.code);
 */
export interface Executor<N = unknown> {
  /** The node `type` this executor runs, e.g. `script`. */
  readonly type: string;
  /**
   * Does no outside work (it only evaluates, routes or suspends), so the worker's remaining time
   * does not bound it: it is never handed back. @default false
   */
  readonly inline?: boolean;
  /**
   * May return `suspend-until`. The claim that wakes the node is then not an attempt: finishing
   * gives it back, and a takeover of the node allows one attempt more. @default false
   */
  readonly suspends?: boolean;
  /**
   * May return `suspend-for-completion`. The claim that a completion or the deadline wakes is not
   * an attempt either (given back at the end; a takeover allows one more). @default false
   */
  readonly awaitsCompletion?: boolean;
  /**
   * Starts outside work named per attempt (a Step Functions execution): before its executor runs
   * (not on a completion wake), the engine records on the node which attempt is starting, under
   * the claim's fence (`spawnKey`, one write), and gives it as `ctx.startAttempt` until the node
   * waits, ends or is woken by a completion. So a worker that dies between starting the work and
   * writing the wait is taken over by an attempt that finds the same work. @default false
   */
  readonly startsOnce?: boolean;
  /** Sends its success down some edges only (`condition`). @default every edge */
  readonly routing?: Routing<N>;
  /**
   * The largest output (JSON bytes) the node may return, when its kind collects more than one
   * value (`map`). @default LIMITS.maxOutputBytes (256 KB)
   */
  readonly maxOutputBytes?: number;
  /** What `inputs` is. @default the node's `with`, evaluated as a template */
  inputsOf?(node: N): InputsSource;
  /**
   * For a kind that waits on outside work named by a `ref` (`suspend-for-completion` with `ref`):
   * how that work ended, or `undefined` while it runs. The engine asks once, right after it wrote
   * the wait: an end that came before (its notification found the node still RUNNING) completes
   * the node then. A throw is logged and left to the end's own notification.
   */
  endOf?(ref: string): Promise<AwaitedEnd | undefined>;
  /**
   * The node that waited for the outside work `ref` was cancelled (its run was cancelled or timed
   * out): stop the work, best effort (a throw is logged). Only an engine that has the kind calls
   * it; otherwise the work runs on and its end is ignored.
   */
  cancelAwaited?(ref: string, cause: string): Promise<void>;
  execute(request: ExecutionRequest<N>): Promise<ExecutionResult>;
}

/** Builds a succeeded result. */
export function succeeded(output: unknown): Succeeded {
  return { kind: 'succeeded', output };
}

/** Builds a failed result. */
export function failure(code: string, message: string, retryable = false): Failed {
  return { kind: 'failed', error: { code, message, retryable } };
}

/** The result with `logs` attached (a succeeded or failed one, and only when something was printed). */
export function withLogs(result: ExecutionResult, logs: AttemptLogs | undefined): ExecutionResult {
  if (logs === undefined || logs.lines.length === 0) return result;
  return result.kind === 'succeeded' || result.kind === 'failed' ? { ...result, logs } : result;
}

/** Builds an idempotency key `run/node/attempt`. */
export function idempotencyKeyOf(runId: string, nodeId: string, attempt: number): string {
  return `${runId}/${nodeId}/${attempt}`;
}

/**
 * Checks that an output is JSON, within `maxBytes` once serialised and nested at most 256 levels;
 * every executor's output is stored as a checkpoint, so the limits apply to all node types.
 * @example boundedOutput('fetch', { a: 1 }, 262_144) // { kind: 'succeeded', output: { a: 1 } }
 */
export function boundedOutput(nodeId: string, output: unknown, maxBytes: number): SucceededOrFailed {
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
  if (json === undefined) return succeeded(null);
  // Outputs feed expressions, API answers and other nodes, all of which recurse per level.
  if (jsonNestingProblem(json) !== undefined) return tooDeep();
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    return failure(
      'OUTPUT_TOO_LARGE',
      `node "${nodeId}" returned ${bytes} bytes of JSON; the limit is ${maxBytes} bytes: return less data or split the work across nodes`,
    );
  }
  return succeeded(JSON.parse(json) as unknown);
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
