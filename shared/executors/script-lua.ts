import { type LuaEngine, LuaEventMasks, LuaFactory, LuaLibraries } from 'wasmoon';
import { LIMITS } from '../domain/limits.ts';
import { boundedOutput, failure, messageOf } from '../ports/executor.ts';
import { aborted, memoryBytesOf, type ScriptRunner, timedOut } from './script-js.ts';

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

/**
 * Runs `code` as a Lua 5.4 chunk in a fresh engine with `inputs` and `ctx` as globals. Only the
 * base (without file access or printing), string, table, math, utf8 and coroutine libraries exist.
 * @example await runLuaScript({ node: { type: 'script', language: 'lua', code: 'return inputs.n + 1' }, inputs: { n: 1 }, ctx }, limits)
 */
export const runLuaScript: ScriptRunner = async ({ node, inputs, ctx }, limits) => {
  if (ctx.signal.aborted) return aborted(ctx.nodeId);
  const memoryBytes = memoryBytesOf(node, limits);
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
  let stop: 'timeout' | 'aborted' | undefined;
  const budgetMs = Math.min(limits.timeoutMs, ctx.timeoutMs ?? limits.timeoutMs);
  const deadline = limits.clock.now() + budgetMs;
  // A C-level count hook: unlike debug.sethook it is inherited by coroutines the script creates.
  const hook = lua.module.addFunction((state: number) => {
    if (stop === undefined && ctx.signal.aborted) stop = 'aborted';
    else if (stop === undefined && limits.clock.now() > deadline) stop = 'timeout';
    if (stop === undefined) return;
    lua.lua_pushstring(state, STOP);
    lua.lua_error(state);
  }, 'vii');
  try {
    for (const library of SAFE_LIBRARIES) global.loadLibrary(library);
    global.loadString(PRELUDE, '=prelude');
    global.runSync();
    global.setTop(0);
    global.set('inputs', toLua(inputs ?? null));
    global.set('ctx', { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt });
    global.setMemoryMax(memoryBytes);
    lua.lua_sethook(global.address, hook, LuaEventMasks.Count, HOOK_EVERY);
    const thread = global.newThread();
    thread.loadString(node.code, '=script');
    const values = await thread.run(0);
    return boundedOutput(ctx.nodeId, values[0] ?? null, LIMITS.maxOutputBytes);
  } catch (error) {
    if (stop !== undefined) factory = undefined;
    if (stop === 'aborted') return aborted(ctx.nodeId);
    if (stop === 'timeout') return timedOut(ctx.nodeId, budgetMs);
    const message = messageOf(error).split('\nstack traceback:')[0] ?? '';
    if (message.includes('not enough memory')) {
      return failure(
        'SCRIPT_MEMORY',
        `script of node "${ctx.nodeId}" ran out of memory (limit ${memoryBytes / 1024 / 1024} MB): use less data or raise memoryMb (at most ${LIMITS.maxScriptMemoryMb})`,
      );
    }
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
