import { parentPort, workerData } from 'node:worker_threads';
import type { Stop } from '../../executors/script-results.ts';

/**
 * What the sandbox's threads and the lane that owns them say to each other. One job at a time per
 * thread: the lane sends a job only to a thread that has answered the previous one.
 *
 * The lane asks a busy thread to stop through a shared flag (a thread that computes cannot read
 * messages): the in-thread bound reads it between instructions and answers at once; a thread
 * that does not answer within the grace period is terminated.
 */
export type ToThread<J> = { readonly id: number; readonly job: J };

export type FromThread<R> =
  | { readonly type: 'ready' }
  /** `retire`: the thread holds more memory than it should keep; the lane replaces it. */
  | { readonly type: 'done'; readonly id: number; readonly result: R; readonly retire?: boolean }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

/** What a thread gets at start: the stop flag, and for the tsx bootstrap the entry to import. */
export interface ThreadData {
  readonly flag: Int32Array;
  readonly entry?: string;
}

/** Values of the stop flag. */
export const STOP_NONE = 0;
export const STOP_ABORTED = 1;
export const STOP_TIMEOUT = 2;

/** The flag value for a signal that fired: `AbortSignal.timeout` (the node's timeout) or another abort. */
export function stopCodeOf(signal: AbortSignal): number {
  const reason = signal.reason as { name?: unknown } | undefined;
  return reason?.name === 'TimeoutError' ? STOP_TIMEOUT : STOP_ABORTED;
}

/**
 * The thread side: runs `prepare` (loading engines, so their load time is no job's), says it is
 * ready, then answers each job with `handle`'s result. `handle` gets a reader of the stop flag.
 * @example serveJobs(warm, (job, stopRequested) => run(job, stopRequested));
 */
export async function serveJobs<J, R>(
  prepare: () => Promise<void>,
  handle: (job: J, stopRequested: () => Stop) => Promise<{ result: R; retire?: boolean }>,
): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('a sandbox entry runs in a worker thread started by the sandbox');
  const { flag } = workerData as ThreadData;
  const stopRequested = (): Stop => {
    const code = Atomics.load(flag, 0);
    return code === STOP_ABORTED ? 'aborted' : code === STOP_TIMEOUT ? 'timeout' : undefined;
  };
  await prepare();
  port.on('message', async ({ id, job }: ToThread<J>) => {
    let reply: FromThread<R>;
    try {
      const { result, retire } = await handle(job, stopRequested);
      reply = { type: 'done', id, result, ...(retire ? { retire } : {}) };
    } catch (error) {
      reply = { type: 'failed', id, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ type: 'ready' } satisfies FromThread<R>);
}
