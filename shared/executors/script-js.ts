import {
  newQuickJSWASMModule,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from 'quickjs-emscripten';
import type { NodeDefinition } from '../domain/definition-schema.ts';
import { LIMITS } from '../domain/limits.ts';
import { boundedOutput, type ExecutionResult, failure, messageOf, withLogs } from '../ports/executor.ts';
import type { ScriptJob } from '../ports/sandbox.ts';
import { installConsole, readConsole } from './script-console-js.ts';
import { aborted, outOfMemory, type Stop, scriptError, timedOut, tooLarge } from './script-results.ts';

export type ScriptNode = Extract<NodeDefinition, { type: 'script' }>;

/** What a runner reads while a script runs, between instructions. */
export interface ScriptHooks {
  /** A monotonic clock in ms: the budget is timed with it. */
  now(): number;
  /** Set once the caller asked the script to stop (the attempt's signal fired). */
  stopRequested(): Stop;
}

/**
 * A script runner for one language: never throws, always returns a result. Runners run inside
 * the sandbox's script thread (`shared/adapters/sandbox/script-host.ts`); their own bounds
 * (instruction hooks, the engines' memory limits) are the first line, the thread kill the backstop.
 */
export type ScriptRunner = (job: ScriptJob, hooks: ScriptHooks) => Promise<ExecutionResult>;

/** WebAssembly pages (64 KB) the module starts with: its build's initial 16 MB. */
const INITIAL_PAGES = 256;
/**
 * The most WebAssembly memory the module may have: the initial 16 MB (code data, stack) plus the
 * service's script memory limit plus slack. QuickJS's own limit (`setMemoryLimit`) does not see
 * every allocation (1,000 `new Uint8Array(1 MB)` pass a 4 MB limit), and this memory lies outside
 * the V8 heap and its caps; a bounded memory makes a growth past it fail inside QuickJS instead
 * ("out of memory", SCRIPT_MEMORY).
 */
const MAX_PAGES = INITIAL_PAGES + ((LIMITS.maxScriptMemoryMb + 16) * 1024 * 1024) / (64 * 1024);

// This project's TypeScript libs declare the WebAssembly types but not the global (Node has it).
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
    };
  }
).WebAssembly;

// The WebAssembly module is loaded once per thread and each execution gets its own runtime. If
// the module ever aborts (a failed assertion kills the whole instance), the next call loads a new
// one: `getQuickJS()` would hand back the dead singleton.
let quickJs: Promise<QuickJSWASMModule> | undefined;
const loadQuickJs = (): Promise<QuickJSWASMModule> => {
  quickJs ??= newQuickJSWASMModule(
    newVariant(RELEASE_SYNC, {
      wasmMemory: new Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES }),
    }),
  );
  return quickJs;
};
/** Rethrows the caught `e` as a plain { name, message } of bounded length (QuickJS source). */
const BOUND_ERROR = `
const text = (v) => {
  try {
    const all = String(v);
    return all.length > 4096 ? all.slice(0, 4000) + '… (truncated: ' + all.length + ' characters in all)' : all;
  } catch { return 'a value that cannot be printed'; }
};
let name = 'Error';
let message;
try {
  const object = e !== null && typeof e === 'object';
  if (object && typeof e.name === 'string') name = e.name.slice(0, 100);
  message = text(object && 'message' in e ? e.message : e);
} catch {
  message = 'a value that cannot be printed';
}
let retryable = true;
try {
  if (e !== null && typeof e === 'object' && e.retryable === false) retryable = false;
} catch {}
throw { name, message, retryable };`;

/** Scripts may throw this (or any error with \`retryable: false\`) to fail without a retry. */
const NON_RETRYABLE = `class NonRetryableError extends Error {
  constructor(message) { super(message); this.name = 'NonRetryableError'; this.retryable = false; }
}`;
/** QuickJS's own stack limit, well inside the WebAssembly stack, so deep recursion is a clean error. */
const MAX_STACK_BYTES = 256 * 1024;

/** Loads the JavaScript engine ahead of the first script, so its load time is no script's. */
export async function warmJs(): Promise<void> {
  await loadQuickJs();
}

/** Bytes of WebAssembly memory the JavaScript engine holds (it grows, never shrinks). */
export async function scriptEngineBytes(): Promise<number> {
  if (!quickJs) return 0;
  try {
    return (await quickJs).getWasmMemory().buffer.byteLength;
  } catch {
    return 0;
  }
}

/**
 * Runs `code` as a function body in a fresh QuickJS runtime with `inputs` and `ctx` as globals.
 * QuickJS has no I/O of its own and no host function is exposed, so the script can only compute;
 * what it prints with `console` is kept in the context and read back (`script-console-js.ts`).
 * @example await runJsScript({ language: 'js', code: 'return inputs.n + 1', inputs: { n: 1 }, ctx, memoryMb: 64, budgetMs: 1000 }, hooks)
 */
export const runJsScript: ScriptRunner = async (job, hooks) => {
  const { ctx } = job;
  if (hooks.stopRequested() === 'aborted') return aborted(ctx.nodeId);
  let module: QuickJSWASMModule;
  try {
    module = await loadQuickJs();
  } catch (error) {
    quickJs = undefined;
    return failure('SCRIPT_ENGINE', `could not load the JavaScript engine: ${messageOf(error)}`, true);
  }
  const runtime = module.newRuntime();
  const deadline = hooks.now() + job.budgetMs;
  let stop: Stop;
  // QuickJS calls this between bytecode instructions.
  runtime.setInterruptHandler(() => {
    stop = hooks.stopRequested() ?? (hooks.now() > deadline ? 'timeout' : undefined);
    return stop !== undefined;
  });
  runtime.setMemoryLimit(job.memoryMb * 1024 * 1024);
  runtime.setMaxStackSize(MAX_STACK_BYTES);
  const vm = runtime.newContext();
  const printed = installConsole(vm);
  try {
    return withLogs(
      outcome(vm, job, printed?.prelude ?? '', () => stop),
      readConsole(vm, printed?.state),
    );
  } finally {
    printed?.state.dispose();
    release(vm, runtime);
  }
};

/** The attempt's result: the value, or what stopped or failed it. */
function outcome(vm: QuickJSContext, job: ScriptJob, prelude: string, stopOf: () => Stop): ExecutionResult {
  const { ctx } = job;
  try {
    const json = evaluate(vm, job.code, prelude, job.inputs, {
      runId: ctx.runId,
      nodeId: ctx.nodeId,
      attempt: ctx.attempt,
    });
    if (typeof json === 'string') return boundedOutput(ctx.nodeId, JSON.parse(json), LIMITS.maxOutputBytes);
    if ('tooLong' in json) return tooLarge(ctx.nodeId, json.tooLong);
    if (stopOf() === 'aborted') return aborted(ctx.nodeId);
    if (stopOf() === 'timeout') return timedOut(ctx.nodeId, job.budgetMs);
    return classify(ctx.nodeId, json.error, job.memoryMb);
  } catch (error) {
    // The interrupt handler may stop the host-side setup too (reading the inputs): a stop still.
    if (stopOf() === 'aborted') return aborted(ctx.nodeId);
    if (stopOf() === 'timeout') return timedOut(ctx.nodeId, job.budgetMs);
    return scriptError(`script of node "${ctx.nodeId}" failed: ${messageOf(error)}`, true);
  }
}

function release(vm: QuickJSContext, runtime: { dispose(): void }): void {
  try {
    vm.dispose();
    runtime.dispose();
  } catch {
    // The module aborted while freeing (QuickJS asserts no object is left): drop the instance.
    quickJs = undefined;
  }
}

/**
 * Returns the result as JSON text, the error the script raised (dumped to a host value), or the
 * length of a result too long to be an output (left inside QuickJS: it may be 64 MB).
 */
function evaluate(
  vm: QuickJSContext,
  code: string,
  prelude: string,
  inputs: unknown,
  ctx: { runId: string; nodeId: string; attempt: number },
): string | { error: unknown } | { tooLong: number } {
  setGlobalFromJson(vm, 'inputs', inputs ?? null);
  setGlobalFromJson(vm, 'ctx', ctx);
  // The body runs as a strict function so `return` works; the result crosses as JSON text, and a
  // thrown value as a short { name, message } (a 60 MB message must not reach the thread's heap).
  const wrapped = `'use strict';\n${NON_RETRYABLE}\n${prelude}\n(function () {\ntry {\nreturn JSON.stringify((function () {\n${code}\n}).call(undefined) ?? null);\n} catch (e) {\n${BOUND_ERROR}\n}\n})();`;
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
): string | { error: unknown } | { tooLong: number } {
  if (result.error) {
    const error = vm.dump(result.error) as unknown;
    result.error.dispose();
    return { error };
  }
  // Each UTF-16 unit is at least one byte of UTF-8: a longer text cannot fit the output limit.
  const units = vm.typeof(result.value) === 'string' ? textLength(vm, result.value) : 0;
  if (units > LIMITS.maxOutputBytes) {
    result.value.dispose();
    return { tooLong: units };
  }
  const value = vm.dump(result.value) as unknown;
  result.value.dispose();
  return typeof value === 'string' ? value : 'null';
}

function textLength(vm: QuickJSContext, text: QuickJSHandle): number {
  const length = vm.getProp(text, 'length');
  try {
    return vm.getNumber(length);
  } finally {
    length.dispose();
  }
}

function classify(nodeId: string, error: unknown, memoryMb: number): ExecutionResult {
  const message = errorMessage(error);
  if (/out of memory/i.test(message)) return outOfMemory(nodeId, memoryMb);
  const final =
    typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false;
  return scriptError(message, !final);
}

function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return typeof name === 'string' && name !== 'Error' ? `${name}: ${String(message)}` : String(message);
  }
  return String(error);
}
