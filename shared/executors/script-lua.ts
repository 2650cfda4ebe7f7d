import { type LuaEngine, LuaEventMasks, LuaFactory, LuaLibraries } from 'wasmoon';
import { LIMITS } from '../domain/limits.ts';
import { boundedOutput, failure, messageOf } from '../ports/executor.ts';
import type { ScriptRunner } from './script-js.ts';
import { aborted, outOfMemory, type Stop, timedOut } from './script-results.ts';

/** Raised from the instruction hook; pcall and friends re-raise it so a script cannot swallow it. */
const STOP = 'skein: script stopped';
/** Instructions between two deadline checks: about 10 µs of Lua, a negligible JS call each. */
const HOOK_EVERY = 1000;

// Trusted prelude, run before the hook is installed: trims the environment to pure computation
// and makes error-catching functions re-raise the stop signal.
const PRELUDE = `
local STOP = '${STOP}'
local find, type, rawpcall, rawxpcall, rawload = string.find, type, pcall, xpcall, load
local resume, err = coroutine.resume, error
dofile, loadfile, print, collectgarbage = nil, nil, nil, nil
local function check(ok, ...)
  if not ok and type((...)) == 'string' and find((...), STOP, 1, true) then err(STOP, 0) end
  return ok, ...
end
pcall = function(...) return check(rawpcall(...)) end
xpcall = function(f, handler, ...)
  return check(rawxpcall(f, function(e)
    if type(e) == 'string' and find(e, STOP, 1, true) then return e end
    return handler(e)
  end, ...))
end
coroutine.resume = function(...) return check(resume(...)) end
load = function(chunk, name, _, env) return rawload(chunk, name, 't', env) end
string.dump = nil
`;

// One WebAssembly instance serves many engines (one per execution). After a stop raised from the
// hook the instance is dropped, as SPEC's traps advise: a fresh factory for the next execution.
let factory: LuaFactory | undefined;

/** Loads the Lua engine ahead of the first script, so its load time is no script's. */
export async function warmLua(): Promise<void> {
  factory ??= new LuaFactory();
  (await factory.createEngine({ openStandardLibs: false })).global.close();
}

/** Bytes of WebAssembly memory the Lua engine holds (it grows, never shrinks). */
export async function luaEngineBytes(): Promise<number> {
  if (!factory) return 0;
  const { module } = await factory.getLuaModule();
  // Emscripten's heap view; its type comes from @types/emscripten, which is not installed.
  return (module as unknown as { HEAPU8?: Uint8Array }).HEAPU8?.byteLength ?? 0;
}

/**
 * Runs `code` as a Lua 5.4 chunk in a fresh engine with `inputs` and `ctx` as globals. Only the
 * base (without file access or printing), string, table, math, utf8 and coroutine libraries exist.
 * The count hook cannot see C code (a pattern match) nor finalizers (Lua turns hooks off while
 * `__gc` runs): the sandbox's thread kill stops those.
 * @example await runLuaScript({ language: 'lua', code: 'return inputs.n + 1', inputs: { n: 1 }, ctx, memoryMb: 64, budgetMs: 1000 }, hooks)
 */
export const runLuaScript: ScriptRunner = async (job, hooks) => {
  const { ctx } = job;
  if (hooks.stopRequested() === 'aborted') return aborted(ctx.nodeId);
  let engine: LuaEngine;
  try {
    factory ??= new LuaFactory();
    engine = await factory.createEngine({
      openStandardLibs: false,
      enableProxy: false,
      traceAllocations: true,
    });
  } catch (error) {
    factory = undefined;
    return failure('SCRIPT_ENGINE', `could not start the Lua engine: ${messageOf(error)}`, true);
  }
  const { global } = engine;
  const lua = global.lua;
  let stop: Stop;
  const deadline = hooks.now() + job.budgetMs;
  // A C-level count hook: unlike debug.sethook it is inherited by coroutines the script creates.
  const hook = lua.module.addFunction((state: number) => {
    stop ??= hooks.stopRequested() ?? (hooks.now() > deadline ? 'timeout' : undefined);
    if (stop === undefined) return;
    lua.lua_pushstring(state, STOP);
    lua.lua_error(state);
  }, 'vii');
  try {
    for (const library of SAFE_LIBRARIES) global.loadLibrary(library);
    global.loadString(PRELUDE, '=prelude');
    global.runSync();
    global.setTop(0);
    global.set('inputs', toLua(job.inputs ?? null));
    global.set('ctx', { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt });
    global.setMemoryMax(job.memoryMb * 1024 * 1024);
    lua.lua_sethook(global.address, hook, LuaEventMasks.Count, HOOK_EVERY);
    const thread = global.newThread();
    thread.loadString(job.code, '=script');
    const values = await thread.run(0);
    return boundedOutput(ctx.nodeId, values[0] ?? null, LIMITS.maxOutputBytes);
  } catch (error) {
    if (stop !== undefined) factory = undefined;
    if (stop === 'aborted') return aborted(ctx.nodeId);
    if (stop === 'timeout') return timedOut(ctx.nodeId, job.budgetMs);
    const message = messageOf(error).split('\nstack traceback:')[0] ?? '';
    if (message.includes('not enough memory')) return outOfMemory(ctx.nodeId, job.memoryMb);
    return failure('SCRIPT_ERROR', message);
  } finally {
    global.close();
    lua.module.removeFunction(hook);
  }
};

const SAFE_LIBRARIES = [
  LuaLibraries.Base,
  LuaLibraries.String,
  LuaLibraries.Table,
  LuaLibraries.Math,
  LuaLibraries.UTF8,
  LuaLibraries.Coroutine,
];

/** JSON `null` becomes `nil` (wasmoon cannot push `null`); arrays and objects become tables. */
function toLua(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map(toLua);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toLua(item)]));
  }
  return value;
}
