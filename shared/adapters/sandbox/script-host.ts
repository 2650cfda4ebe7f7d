// A host of the scripts lane (a worker thread): QuickJS and Lua with their own bounds (interrupt handler, count
// hook, memory limits), the lane's stop flag read between instructions.
import { runJsScript, scriptEngineBytes, warmJs } from '../../executors/script-js.ts';
import { luaEngineBytes, runLuaScript, warmLua } from '../../executors/script-lua.ts';
import type { ScriptJob } from '../../ports/sandbox.ts';
import { serveJobs } from './protocol.ts';

/**
 * WebAssembly memory never shrinks: a thread whose engines grew past this after a large script
 * is replaced rather than kept at that size. Each engine starts at 16 MB.
 */
const RECYCLE_BYTES = 64 * 1024 * 1024;

const now = () => performance.now();

await serveJobs(
  async () => {
    await Promise.all([warmJs(), warmLua()]);
  },
  async (job: ScriptJob, stopRequested) => {
    const run = job.language === 'lua' ? runLuaScript : runJsScript;
    const result = await run(job, { now, stopRequested });
    const bytes = (await scriptEngineBytes()) + (await luaEngineBytes());
    return { result, retire: bytes > RECYCLE_BYTES };
  },
);
