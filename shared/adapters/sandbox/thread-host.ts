import { Worker } from 'node:worker_threads';
import type { HostEntry } from './entries.ts';
import type { HostFactory } from './lane.ts';
import { STOP_NONE, type ThreadData } from './protocol.ts';

/**
 * Hosts on worker threads, for jobs whose memory lives outside the V8 heap (the script engines'
 * WebAssembly memory, bounded by their own allocators): a thread hop costs tens of microseconds,
 * a thread about 10 MB. `resourceLimits` caps the heap the glue uses; V8 stops a thread that
 * reaches it (`ERR_WORKER_OUT_OF_MEMORY`) as long as no single allocation outgrows the cap's
 * last 16 MB, which the runners ensure by bounding every value that crosses into JavaScript.
 * A shared flag asks a busy thread to stop; `worker.terminate()` kills it.
 */
export function threadHost<J, R>(entry: HostEntry, heapMb: number): HostFactory<J, R> {
  return (events) => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const data: ThreadData = { flag, ...(entry.entry === undefined ? {} : { entry: entry.entry }) };
    const worker = new Worker(entry.module, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
      // Not the parent's flags (`--input-type`, `--inspect`, Lambda's runtime options).
      execArgv: [],
      // Tenant code cannot read the environment; were it ever to escape its engine, the thread's
      // copy is empty all the same (on Lambda the parent's holds credentials).
      env: {},
    });
    let killed = false;
    worker.on('message', events.message);
    worker.on('error', (error: Error & { code?: string }) => {
      if (killed) return;
      const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      events.died({ memory, message: `its thread failed: ${error.message}` });
    });
    worker.on('exit', (code) => {
      if (!killed) events.died({ memory: false, message: `its thread exited (${code})` });
    });
    return {
      send: (message) => {
        Atomics.store(flag, 0, STOP_NONE);
        worker.postMessage(message);
      },
      requestStop: (code) => {
        Atomics.store(flag, 0, code);
        return true;
      },
      kill: async () => {
        killed = true;
        // Held until it has stopped: an idle (unref'd) thread would let the process end first.
        worker.ref();
        await worker.terminate();
      },
      hold: (busy) => (busy ? worker.ref() : worker.unref()),
    };
  };
}
