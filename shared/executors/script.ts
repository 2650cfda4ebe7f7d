import { sharedSandbox } from '../adapters/sandbox/sandbox-pool.ts';
import { LIMITS } from '../domain/limits.ts';
import { mapLogMessages } from '../ports/attempt-logs.ts';
import { type ExecutionRequest, type ExecutionResult, type Executor, failure } from '../ports/executor.ts';
import type { ScriptSandbox } from '../ports/sandbox.ts';
import { maskSecrets, type Secrets, secretNamesIn } from '../ports/secrets.ts';
import type { ScriptNode } from './script-js.ts';
import { aborted } from './script-results.ts';

export interface ScriptExecutorOptions {
  /** Where scripts run. @default the process's shared sandbox (`sharedSandbox()`, worker threads) */
  readonly sandbox?: ScriptSandbox;
  /** Budget of one attempt, timed in the sandbox's thread. @default LIMITS.maxScriptMillis (30 s) */
  readonly timeoutMs?: number;
  /** Memory budget when a node sets no `memoryMb`. @default LIMITS.maxScriptMemoryMb (64) */
  readonly memoryMb?: number;
  /**
   * Where the values of secrets the script's inputs reference are read, to mask them in what the
   * script printed (scripts only ever see references). @default none: references are masked, and
   * no value can be known
   */
  readonly secrets?: Secrets;
}

const LANGUAGES: ReadonlySet<string> = new Set<ScriptNode['language']>(['js', 'lua']);

/**
 * Runs `script` nodes in the sandbox, per `language`: QuickJS for `js`, Lua 5.4 (wasmoon) for
 * `lua`, each in a worker thread that is killed at the deadline whatever the script does. The
 * budget is the smaller of `timeoutMs` and the attempt's, and starts when a thread takes the
 * script; the attempt's signal (the node's timeout, a cancel) stops it wherever it is.
 * @example
 * const result = await new ScriptExecutor({ timeoutMs: 1000 }).execute({ node, inputs: { n: 1 }, ctx });
 */
export class ScriptExecutor implements Executor<ScriptNode> {
  readonly type = 'script';
  private readonly timeoutMs: number;
  private readonly memoryMb: number;

  constructor(private readonly options: ScriptExecutorOptions = {}) {
    const timeoutMs = options.timeoutMs ?? LIMITS.maxScriptMillis;
    const memoryMb = options.memoryMb ?? LIMITS.maxScriptMemoryMb;
    if (!(timeoutMs > 0 && timeoutMs <= LIMITS.maxScriptMillis)) {
      throw new Error(`ScriptExecutor timeoutMs must be in (0, ${LIMITS.maxScriptMillis}], got ${timeoutMs}`);
    }
    if (!(memoryMb >= 1 && memoryMb <= LIMITS.maxScriptMemoryMb)) {
      throw new Error(`ScriptExecutor memoryMb must be in [1, ${LIMITS.maxScriptMemoryMb}], got ${memoryMb}`);
    }
    this.timeoutMs = timeoutMs;
    this.memoryMb = memoryMb;
  }

  async execute({ node, inputs, ctx }: ExecutionRequest<ScriptNode>): Promise<ExecutionResult> {
    if (!LANGUAGES.has(node.language)) {
      return failure(
        'SCRIPT_LANGUAGE',
        `script language "${String(node.language)}" is unknown: use js or lua`,
      );
    }
    if (ctx.signal.aborted) return aborted(ctx.nodeId);
    const sandbox = this.options.sandbox ?? sharedSandbox();
    const result = await sandbox.runScript(
      {
        language: node.language,
        code: node.code,
        inputs,
        ctx: { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt },
        memoryMb: Math.min(node.memoryMb ?? this.memoryMb, LIMITS.maxScriptMemoryMb),
        budgetMs: Math.min(this.timeoutMs, ctx.timeoutMs ?? this.timeoutMs),
      },
      ctx.signal,
    );
    return this.masked(result, inputs, ctx.tenant);
  }

  /**
   * The result with secrets masked (`***`) in its logs: any reference, and the value of each secret
   * the inputs reference (a script cannot reach another). Read only when the script printed.
   */
  private async masked(result: ExecutionResult, inputs: unknown, tenant: string): Promise<ExecutionResult> {
    if ((result.kind !== 'succeeded' && result.kind !== 'failed') || result.logs === undefined) return result;
    const names = new Set<string>();
    collectStrings(inputs, (text) => {
      for (const name of secretNamesIn(text)) names.add(name);
    });
    const values: string[] = [];
    for (const name of names) {
      const value = await this.options.secrets?.get(tenant, name).catch(() => undefined);
      if (value !== undefined) values.push(value);
    }
    return { ...result, logs: mapLogMessages(result.logs, (text) => maskSecrets(text, values)) };
  }
}

function collectStrings(value: unknown, on: (text: string) => void): void {
  if (typeof value === 'string') on(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, on);
  else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) collectStrings(item, on);
  }
}
