import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import type { NodeDefinition } from '../domain/definition-schema.ts';
import { LIMITS } from '../domain/limits.ts';
import type { Clock } from '../ports/clock.ts';
import {
  boundedOutput,
  type ExecutionRequest,
  type ExecutionResult,
  failure,
  messageOf,
} from '../ports/executor.ts';

export type ScriptNode = Extract<NodeDefinition, { type: 'script' }>;

/** Bounds shared by both script languages; resolved once by `ScriptExecutor`. */
export interface ScriptLimits {
  readonly clock: Clock;
  /** Wall-clock budget of one attempt. */
  readonly timeoutMs: number;
  /** Memory budget when the node sets no `memoryMb`. */
  readonly memoryMb: number;
}

/** A script runner for one language: never throws, always returns a result. */
export type ScriptRunner = (
  request: ExecutionRequest<ScriptNode>,
  limits: ScriptLimits,
) => Promise<ExecutionResult>;

// The WebAssembly module is loaded once per process and each execution gets its own runtime. If
// the module ever aborts (a failed assertion kills the whole instance), the next call loads a new
// one: `getQuickJS()` would hand back the dead singleton.
let quickJs: Promise<QuickJSWASMModule> | undefined;
const loadQuickJs = (): Promise<QuickJSWASMModule> => {
  quickJs ??= newQuickJSWASMModule();
  return quickJs;
};
/** QuickJS's own stack limit, well inside the WebAssembly stack, so deep recursion is a clean error. */
const MAX_STACK_BYTES = 256 * 1024;

/** Memory budget in bytes for a node: its own `memoryMb`, capped by the service limit. */
export function memoryBytesOf(node: ScriptNode, limits: ScriptLimits): number {
  const mb = Math.min(node.memoryMb ?? limits.memoryMb, LIMITS.maxScriptMemoryMb);
  return mb * 1024 * 1024;
}

type Stop = 'timeout' | 'aborted' | undefined;

/**
 * Runs `code` as a function body in a fresh QuickJS runtime with `inputs` and `ctx` as globals.
 * QuickJS has no I/O of its own and no host function is exposed, so the script can only compute.
 * @example await runJsScript({ node: { type: 'script', language: 'js', code: 'return inputs.n + 1' }, inputs: { n: 1 }, ctx }, limits)
 */
export const runJsScript: ScriptRunner = async ({ node, inputs, ctx }, limits) => {
  if (ctx.signal.aborted) return aborted(ctx.nodeId);
  let module: QuickJSWASMModule;
  try {
    module = await loadQuickJs();
  } catch (error) {
    quickJs = undefined;
    return failure('SCRIPT_ENGINE', `could not load the JavaScript engine: ${messageOf(error)}`, true);
  }
  const runtime = module.newRuntime();
  const budgetMs = Math.min(limits.timeoutMs, ctx.timeoutMs ?? limits.timeoutMs);
  const deadline = limits.clock.now() + budgetMs;
  let stop: Stop;
  // QuickJS calls this between bytecode instructions; the clock and the signal are both read, so a
  // signal aborted by host code running during the evaluation (a clock, an interrupt) is honoured.
  runtime.setInterruptHandler(() => {
    if (ctx.signal.aborted) stop = 'aborted';
    else if (limits.clock.now() > deadline) stop = 'timeout';
    return stop !== undefined;
  });
  runtime.setMemoryLimit(memoryBytesOf(node, limits));
  runtime.setMaxStackSize(MAX_STACK_BYTES);
  const vm = runtime.newContext();
  try {
    const json = evaluate(vm, node.code, inputs, {
      runId: ctx.runId,
      nodeId: ctx.nodeId,
      attempt: ctx.attempt,
    });
    if (typeof json === 'string') return boundedOutput(ctx.nodeId, JSON.parse(json), LIMITS.maxOutputBytes);
    if (stop === 'aborted') return aborted(ctx.nodeId);
    if (stop === 'timeout') return timedOut(ctx.nodeId, budgetMs);
    return classify(ctx.nodeId, json.error, memoryBytesOf(node, limits));
  } catch (error) {
    return failure('SCRIPT_ERROR', `script of node "${ctx.nodeId}" failed: ${messageOf(error)}`);
  } finally {
    release(vm, runtime);
  }
};

function release(vm: QuickJSContext, runtime: { dispose(): void }): void {
  try {
    vm.dispose();
    runtime.dispose();
  } catch {
    // The module aborted while freeing (QuickJS asserts no object is left): drop the instance.
    quickJs = undefined;
  }
}

/** Returns the result as JSON text, or the error the script raised, dumped to a host value. */
function evaluate(
  vm: QuickJSContext,
  code: string,
  inputs: unknown,
  ctx: { runId: string; nodeId: string; attempt: number },
): string | { error: unknown } {
  setGlobalFromJson(vm, 'inputs', inputs ?? null);
  setGlobalFromJson(vm, 'ctx', ctx);
  // The body runs as a strict function so `return` works; the result crosses as JSON text.
  const wrapped = `'use strict';\nJSON.stringify((function () {\n${code}\n}).call(undefined) ?? null);`;
  const result = vm.evalCode(wrapped, 'script.js');
  return unwrap(vm, result);
}

function setGlobalFromJson(vm: QuickJSContext, name: string, value: unknown): void {
  const text = vm.newString(JSON.stringify(value));
  const parse = vm.getProp(vm.global, 'JSON');
  const parseFn = vm.getProp(parse, 'parse');
  try {
    const parsed = vm.unwrapResult(vm.callFunction(parseFn, parse, text));
    vm.setProp(vm.global, name, parsed);
    parsed.dispose();
  } finally {
    parseFn.dispose();
    parse.dispose();
    text.dispose();
  }
}

function unwrap(
  vm: QuickJSContext,
  result: { error: QuickJSHandle; value?: undefined } | { value: QuickJSHandle; error?: undefined },
): string | { error: unknown } {
  if (result.error) {
    const error = vm.dump(result.error) as unknown;
    result.error.dispose();
    return { error };
  }
  const value = vm.dump(result.value) as unknown;
  result.value.dispose();
  return typeof value === 'string' ? value : 'null';
}

function classify(nodeId: string, error: unknown, memoryBytes: number): ExecutionResult {
  const message = errorMessage(error);
  if (/out of memory/i.test(message)) {
    return failure(
      'SCRIPT_MEMORY',
      `script of node "${nodeId}" ran out of memory (limit ${memoryBytes / 1024 / 1024} MB): use less data or raise memoryMb (at most ${LIMITS.maxScriptMemoryMb})`,
    );
  }
  return failure('SCRIPT_ERROR', message);
}

function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return typeof name === 'string' && name !== 'Error' ? `${name}: ${String(message)}` : String(message);
  }
  return String(error);
}

export function timedOut(nodeId: string, timeoutMs: number): ExecutionResult {
  return failure(
    'SCRIPT_TIMEOUT',
    `script of node "${nodeId}" ran longer than ${timeoutMs} ms and was stopped: look for an endless loop or do less work per node`,
  );
}

export function aborted(nodeId: string): ExecutionResult {
  return failure(
    'SCRIPT_ABORTED',
    `script of node "${nodeId}" was stopped because the attempt was aborted`,
    true,
  );
}
