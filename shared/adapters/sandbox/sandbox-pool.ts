import { availableParallelism } from 'node:os';
import { aborted, engineFailure, threadOutOfMemory, timedOut } from '../../executors/script-results.ts';
import type { ExecutionResult } from '../../ports/executor.ts';
import type {
  ExpressionErrorCode,
  ExpressionJob,
  ExpressionOutcome,
  Sandbox,
  ScriptJob,
} from '../../ports/sandbox.ts';
import { hostEntry } from './entries.ts';
import { Lane, type LaneOutcome } from './lane.ts';
import { processHost } from './process-host.ts';
import { threadHost } from './thread-host.ts';

export interface SandboxPoolOptions {
  /** Child processes of the expressions lane. @default 2 */
  readonly expressionProcesses?: number;
  /** Worker threads of the scripts lane. @default one per CPU, at least 2, at most 4 */
  readonly scriptThreads?: number;
  /** Heap cap of an expression process in MB (`--max-old-space-size`). @default 128 */
  readonly expressionHeapMb?: number;
  /**
   * Heap cap of a script thread in MB (`resourceLimits`): the values crossing between the
   * engines and JavaScript (inputs, outputs). The engines' own memory is WebAssembly memory,
   * bounded by the node's `memoryMb`. @default 128
   */
  readonly scriptHeapMb?: number;
  /** How long a host past its budget (or its signal) has to answer before it is killed. @default 250 */
  readonly graceMs?: number;
}

/**
 * Lane sizes, for 2-core machines and Lambda (whose workers see 2 vCPUs at the usual sizes):
 * - Expressions get their own lane, so they never wait behind a script (one may take 30 s).
 *   Two processes: an expression takes microseconds, so one would keep up with a worker's batch,
 *   but a hostile one may hold its process up to its 1 s bound; the second keeps the other nodes'
 *   expressions moving meanwhile.
 * - Scripts are CPU-bound: threads beyond the cores add memory, not throughput; below 2, one
 *   long script would hold every other for up to 30 s. Hence one per CPU, at least 2, at most 4.
 * Memory on a 1024 MB Lambda worker, at worst: 2 × (40 MB + 128 MB of heap) for expressions; per
 * script thread about 10 MB, a 128 MB heap cap (inputs and outputs are bounded far below it) and
 * the engines' WebAssembly memory (16 MB each at rest; a script may grow one to its 64 MB limit,
 * after which the thread is replaced); the main thread on top.
 */
const DEFAULTS = {
  expressionProcesses: 2,
  scriptThreads: Math.min(4, Math.max(2, availableParallelism())),
  expressionHeapMb: 128,
  scriptHeapMb: 128,
  graceMs: 250,
} as const;

/**
 * The sandbox: one lane of child processes for expressions, one of worker threads for scripts
 * (see `Lane`, `processHost`, `threadHost`). Hosts start on first use and idle ones do not hold
 * the process open; `close()` ends them.
 * @example
 * const sandbox = new SandboxPool();
 * const engine = new RunEngine({ ...ports, sandbox, executors: defaultExecutors({ script: { sandbox } }) });
 */
export class SandboxPool implements Sandbox {
  private readonly expressions: Lane<ExpressionJob, ExpressionOutcome>;
  private readonly scripts: Lane<ScriptJob, ExecutionResult>;
  private readonly expressionHeapMb: number;
  private readonly scriptHeapMb: number;

  constructor(options: SandboxPoolOptions = {}) {
    const settings = { ...DEFAULTS, ...options };
    this.expressionHeapMb = settings.expressionHeapMb;
    this.scriptHeapMb = settings.scriptHeapMb;
    this.expressions = new Lane({
      name: 'expressions',
      spawn: processHost(hostEntry('expressions'), settings.expressionHeapMb),
      size: settings.expressionProcesses,
      graceMs: settings.graceMs,
    });
    this.scripts = new Lane({
      name: 'scripts',
      spawn: threadHost(hostEntry('scripts'), settings.scriptHeapMb),
      size: settings.scriptThreads,
      graceMs: settings.graceMs,
    });
  }

  async evaluate(job: ExpressionJob, signal?: AbortSignal): Promise<ExpressionOutcome> {
    const outcome = await this.expressions.run(job, job.budgetMs, signal);
    if (outcome.kind === 'done') return outcome.value;
    const fail = (code: ExpressionErrorCode, message: string): ExpressionOutcome => ({
      ok: false,
      error: { code, message, path: job.path },
    });
    switch (outcome.kind) {
      case 'killed':
        return fail(
          'EXPRESSION_TIMEOUT',
          outcome.why === 'deadline'
            ? `the expression took longer than ${job.budgetMs}ms and was stopped; check for an endless loop or work on a huge list or string`
            : 'the expression was stopped because its evaluation was aborted',
        );
      case 'memory':
        return fail(
          'EXPRESSION_MEMORY',
          `the expression used more than the ${this.expressionHeapMb} MB an expression may use and was stopped; select less data or build smaller lists and strings`,
        );
      case 'not-started':
        return fail('EXPRESSION_ENGINE', 'the evaluation was aborted before it started');
      case 'failed':
        return fail('EXPRESSION_ENGINE', `the expression could not be evaluated: ${outcome.message}`);
    }
  }

  async runScript(job: ScriptJob, signal?: AbortSignal): Promise<ExecutionResult> {
    const { nodeId } = job.ctx;
    const outcome: LaneOutcome<ExecutionResult> = await this.scripts.run(job, job.budgetMs, signal);
    switch (outcome.kind) {
      case 'done':
        return outcome.value;
      case 'killed':
        // A signal's TimeoutError is the node's own timeout: the script ran out of time.
        return outcome.why === 'deadline' || isTimeout(signal)
          ? timedOut(nodeId, job.budgetMs)
          : aborted(nodeId);
      case 'memory':
        return threadOutOfMemory(nodeId, this.scriptHeapMb);
      case 'not-started':
        return aborted(
          nodeId,
          isTimeout(signal)
            ? "the node's timeout ran out while it waited for a free script thread"
            : 'the attempt was aborted before it started',
        );
      case 'failed':
        return engineFailure(nodeId, outcome.message);
    }
  }

  /** Hosts and waiting jobs per lane. */
  stats() {
    return { expressions: this.expressions.stats(), scripts: this.scripts.stats() };
  }

  async close(): Promise<void> {
    await Promise.all([this.expressions.close(), this.scripts.close()]);
  }
}

function isTimeout(signal: AbortSignal | undefined): boolean {
  return (signal?.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

let shared: SandboxPool | undefined;

/**
 * The process's sandbox, made on first use: for compositions that do not manage their own (the
 * workflow test harness, a `ScriptExecutor` built without one). Its idle hosts do not hold the
 * process open, so it needs no closing.
 */
export function sharedSandbox(): SandboxPool {
  shared ??= new SandboxPool();
  return shared;
}
