import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { HostEntry } from './entries.ts';
import type { HostFactory } from './lane.ts';
import type { FromHost } from './protocol.ts';

/** Lines of V8's fatal out-of-memory report on stderr. */
const OUT_OF_MEMORY = /heap out of memory|Allocation failed/;

/**
 * Hosts on child processes, for jobs that build their values on the V8 heap (JSONata): a single
 * large allocation past a worker thread's `resourceLimits` aborts the whole process rather than
 * the thread (nodejs/node#47224: a 10-million-item range does it), while a child process with
 * `--max-old-space-size` dies alone. A hop costs about 0.15 ms, a process about 40 MB. The child
 * gets an empty environment and no stdin or stdout; its stderr is kept (the last 4 KB) to tell a
 * heap exhaustion from another death. SIGKILL ends it.
 */
export function processHost<J, R>(entry: HostEntry, heapMb: number): HostFactory<J, R> {
  return (events) => {
    const child = fork(fileURLToPath(entry.module), entry.entry === undefined ? [] : [entry.entry], {
      execArgv: [`--max-old-space-size=${heapMb}`],
      serialization: 'advanced',
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let tail = '';
    let killed = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4096);
    });
    child.on('message', (message) => events.message(message as FromHost<R>));
    child.on('error', (error) => {
      if (!killed) events.died({ memory: false, message: `its process failed: ${error.message}` });
    });
    // 'close' comes after stderr has been read to its end, so the tail is complete.
    child.on('close', (code, signal) => {
      if (killed) return;
      const last = tail.trim().split('\n').at(0) ?? '';
      events.died({
        memory: OUT_OF_MEMORY.test(tail),
        message: `its process exited (${signal ?? code})${last === '' ? '' : `: ${last}`}`,
      });
    });
    const hold = (busy: boolean) => {
      // stdio: ['ignore', 'ignore', 'pipe', 'ipc'] makes stderr a pipe, i.e. a net.Socket.
      const stderr = child.stderr as Socket | null;
      for (const handle of [child, child.channel, stderr]) {
        if (busy) handle?.ref();
        else handle?.unref();
      }
    };
    return {
      send: (message) => {
        child.send(message);
      },
      requestStop: () => false,
      kill: async () => {
        killed = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        // Held until it has exited: an idle (unref'd) child would let the process end first.
        hold(true);
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      },
      hold,
    };
  };
}
