import { LIMITS } from '../domain/limits.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  messageOf,
} from '../ports/executor.ts';
import { runJsScript, type ScriptLimits, type ScriptNode, type ScriptRunner } from './script-js.ts';
import { runLuaScript } from './script-lua.ts';

export interface ScriptExecutorOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Wall-clock budget of one attempt. @default LIMITS.maxScriptMillis (30 s) */
  readonly timeoutMs?: number;
  /** Memory budget when a node sets no `memoryMb`. @default LIMITS.maxScriptMemoryMb (64) */
  readonly memoryMb?: number;
}

const RUNNERS: Record<ScriptNode['language'], ScriptRunner> = { js: runJsScript, lua: runLuaScript };

/**
 * Runs `script` nodes in a sandbox per `language`: QuickJS for `js`, Lua 5.4 (wasmoon) for `lua`.
 * @example
 * const result = await new ScriptExecutor({ timeoutMs: 1000 }).execute({ node, inputs: { n: 1 }, ctx });
 */
export class ScriptExecutor implements Executor<ScriptNode> {
  readonly type = 'script';
  private readonly limits: ScriptLimits;

  constructor(options: ScriptExecutorOptions = {}) {
    const timeoutMs = options.timeoutMs ?? LIMITS.maxScriptMillis;
    const memoryMb = options.memoryMb ?? LIMITS.maxScriptMemoryMb;
    if (!(timeoutMs > 0 && timeoutMs <= LIMITS.maxScriptMillis)) {
      throw new Error(`ScriptExecutor timeoutMs must be in (0, ${LIMITS.maxScriptMillis}], got ${timeoutMs}`);
    }
    if (!(memoryMb >= 1 && memoryMb <= LIMITS.maxScriptMemoryMb)) {
      throw new Error(`ScriptExecutor memoryMb must be in [1, ${LIMITS.maxScriptMemoryMb}], got ${memoryMb}`);
    }
    this.limits = { clock: options.clock ?? systemClock, timeoutMs, memoryMb };
  }

  async execute(request: ExecutionRequest<ScriptNode>): Promise<ExecutionResult> {
    const runner = RUNNERS[request.node.language] as ScriptRunner | undefined;
    if (runner === undefined) {
      return failure(
        'SCRIPT_LANGUAGE',
        `script language "${String(request.node.language)}" is unknown: use js or lua`,
      );
    }
    try {
      return await runner(request, this.limits);
    } catch (error) {
      // Runners return results; this only guards the promise that an executor never throws.
      return failure(
        'SCRIPT_ENGINE',
        `script of node "${request.ctx.nodeId}" failed: ${messageOf(error)}`,
        true,
      );
    }
  }
}
