import { type LuaEngine, LuaEventMasks, LuaFactory, LuaLibraries } from 'wasmoon';
import { LIMITS } from '../domain/limits.ts';
import { LogCollector, MAX_LOG_BYTES } from '../ports/attempt-logs.ts';
import { boundedOutput, type ExecutionResult, failure, messageOf, withLogs } from '../ports/executor.ts';
import type { ScriptRunner } from './script-js.ts';
import { aborted, outOfMemory, type Stop, scriptError, timedOut, tooLarge } from './script-results.ts';

/** Raised from the instruction hook; pcall and friends re-raise it so a script cannot swallow it. */
const STOP = 'skein: script stopped';
/** Starts the message of an error the script raised with `NonRetryableError`. */
const FINAL_MARK = 'skein: final: ';
/** Instructions between two deadline checks: about 10 µs of Lua, a negligible JS call each. */
const HOOK_EVERY = 1000;

/** A longer error message is cut here before it crosses into JavaScript. */
const MAX_ERROR_CHARS = 4096;

/**
 * `print`: its arguments formatted in Lua (tables as JSON, cycles as "[Circular]", tabs between
 * arguments as Lua's own print) and bounded there before one call to the host's `__skein_log`,
 * which the prelude takes out of the globals. The host's collector bounds the lines in bytes.
 * The formatter is compiled on the first call (most scripts never print), from the library
 * functions the prelude captured before the script ran, so a script that replaces them cannot
 * lift the bound.
 */
const FORMATTER = `
local hostlog, format, gsub, concat, select, getmetatable, pcall, math_type, sub, next, tostring, type, huge = ...
local ESC = { ['"'] = '\\\\"', ['\\\\'] = '\\\\\\\\', ['\\n'] = '\\\\n', ['\\r'] = '\\\\r', ['\\t'] = '\\\\t' }
local function quote(text)
  return '"' .. gsub(text, '[%c"\\\\]', function(c) return ESC[c] or format('\\\\u%04x', c:byte()) end) .. '"'
end
local function encode(v, out, open, budget)
  local t = type(v)
  if budget.n <= 0 then return end
  budget.n = budget.n - 1
  if t == 'string' then out[#out + 1] = quote(v)
  elseif t == 'number' then
    out[#out + 1] = (v ~= v or v == huge or v == -huge) and 'null' or (math_type(v) == 'integer' and format('%d', v) or format('%.14g', v))
  elseif t == 'boolean' then out[#out + 1] = tostring(v)
  elseif t == 'nil' then out[#out + 1] = 'null'
  elseif t ~= 'table' then out[#out + 1] = quote(t)
  elseif open[v] then out[#out + 1] = '"[Circular]"'
  else
    open[v] = true
    local n, count = #v, 0
    for _ in next, v do count = count + 1 end
    if count > 0 and count == n then
      out[#out + 1] = '['
      for i = 1, n do
        if i > 1 then out[#out + 1] = ',' end
        encode(v[i], out, open, budget)
      end
      out[#out + 1] = ']'
    else
      out[#out + 1] = '{'
      local first = true
      for key, item in next, v do
        if not first then out[#out + 1] = ',' end
        first = false
        out[#out + 1] = quote(tostring(key))
        out[#out + 1] = ':'
        encode(item, out, open, budget)
      end
      out[#out + 1] = '}'
    end
    open[v] = nil
  end
end
local function show(v)
  local t = type(v)
  if t == 'string' then return v end
  if t ~= 'table' then return tostring(v) end
  local meta = getmetatable(v)
  if type(meta) == 'table' and meta.__tostring then
    local ok, text = pcall(tostring, v)
    return ok and type(text) == 'string' and text or '[unprintable value]'
  end
  local out = {}
  encode(v, out, {}, { n = 10000 })
  return concat(out)
end
return function(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = show((select(i, ...))) end
  local message = concat(parts, '\\t')
  if #message > ${MAX_LOG_BYTES} then message = sub(message, 1, ${MAX_LOG_BYTES}) end
  return hostlog('log', message)
end
`;

const PRINT = `
local deps = { __skein_log, string.format, string.gsub, table.concat, select, getmetatable, pcall, math.type, sub, next, tostring, type, math.huge }
local unpack = table.unpack
__skein_log = nil
local write
print = function(...)
  if write == false then return end
  write = write or rawload([==[${FORMATTER}]==], '=print', 't')(unpack(deps, 1, 13))
  if not write(...) then write = false end
end
`;

// Trusted prelude, run before the hook is installed: trims the environment to pure computation,
// makes error-catching functions re-raise the stop signal, and defines the runner that bounds
// what crosses into JavaScript (the sandbox's thread has a small heap: a 60 MB string converted
// there in one piece could abort the whole process, see thread-host.ts).
const PRELUDE = `
local STOP = '${STOP}'
local find, type, rawpcall, rawxpcall, rawload = string.find, type, pcall, xpcall, load
local resume, err, next, tostring, sub = coroutine.resume, error, next, tostring, string.sub
dofile, loadfile, print, collectgarbage = nil, nil, nil, nil
${PRINT}
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
-- The size of a value as JSON, roughly, counted no further than past limit (raw: no metamethods).
local function size(v, limit, seen)
  local t = type(v)
  if t == 'string' then return #v + 2 end
  if t ~= 'table' then return 24 end
  if seen[v] then return 0 end
  seen[v] = true
  local n = 2
  for k, item in next, v do
    n = n + size(k, limit, seen) + size(item, limit, seen) + 2
    if n > limit then return n end
  end
  return n
end
local FINAL = {}
-- error(NonRetryableError('...')) fails the node without a retry.
NonRetryableError = function(message) return setmetatable({ message = message }, FINAL) end
local function bounded(e)
  local final = type(e) == 'table' and getmetatable(e) == FINAL
  if final then e = e.message end
  if type(e) ~= 'string' then e = tostring(e) end
  if final then e = '${FINAL_MARK}' .. e end
  if #e > ${MAX_ERROR_CHARS} then e = sub(e, 1, ${MAX_ERROR_CHARS - 96}) .. '… (truncated: ' .. #e .. ' bytes in all)' end
  return e
end
-- Runs the script in __skein_code: true and its result, or false and the size that is too large.
__skein_run = function(limit)
  local code = __skein_code
  __skein_code = nil
  local f, problem = rawload(code, '=script', 't')
  if not f then err(bounded(problem), 0) end
  local ok, result = rawxpcall(f, bounded)
  if not ok then err(result, 0) end
  local n = size(result, limit, {})
  if n > limit then return false, n end
  return true, result
end
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
  const printed = new LogCollector(() => Date.now());
  try {
    for (const library of SAFE_LIBRARIES) global.loadLibrary(library);
    global.set('__skein_log', (level: unknown, message: unknown) =>
      printed.add(level === 'log' ? 'log' : 'info', typeof message === 'string' ? message : String(message)),
    );
    global.loadString(PRELUDE, '=prelude');
    global.runSync();
    global.setTop(0);
    global.set('inputs', toLua(job.inputs ?? null));
    global.set('ctx', { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt });
    global.setMemoryMax(job.memoryMb * 1024 * 1024);
    lua.lua_sethook(global.address, hook, LuaEventMasks.Count, HOOK_EVERY);
    global.set('__skein_code', job.code);
    const thread = global.newThread();
    thread.loadString(`return __skein_run(${LIMITS.maxOutputBytes})`, '=skein');
    const [fits, value] = await thread.run(0);
    if (fits !== true) return withLogs(tooLarge(ctx.nodeId, Number(value)), printed.result());
    return withLogs(boundedOutput(ctx.nodeId, value ?? null, LIMITS.maxOutputBytes), printed.result());
  } catch (error) {
    if (stop !== undefined) factory = undefined;
    return withLogs(failed(error, stop, job), printed.result());
  } finally {
    global.close();
    lua.module.removeFunction(hook);
  }
};

/** What a thrown error (a stop, an error the script raised, running out of memory) makes of the attempt. */
function failed(error: unknown, stop: Stop, job: Parameters<ScriptRunner>[0]): ExecutionResult {
  const { ctx } = job;
  if (stop === 'aborted') return aborted(ctx.nodeId);
  if (stop === 'timeout') return timedOut(ctx.nodeId, job.budgetMs);
  const message = messageOf(error).split('\nstack traceback:')[0] ?? '';
  if (message.includes('not enough memory')) return outOfMemory(ctx.nodeId, job.memoryMb);
  const final = message.startsWith(FINAL_MARK);
  return scriptError(final ? message.slice(FINAL_MARK.length) : message, !final);
}

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
