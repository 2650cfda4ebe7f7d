import { parentPort, workerData } from 'node:worker_threads';
import type { Stop } from '../../executors/script-results.ts';

/**
 * What a lane and its hosts (worker threads, child processes) say to each other. One job at a
 * time per host: the lane sends a job only to a host that has answered the previous one.
 *
 * A lane asks a busy thread to stop through a shared flag (a thread that computes cannot read
 * messages): the in-thread bound reads it between instructions and answers at once; a host that
 * does not answer within the grace period is killed. Processes share no memory: they are killed.
 */
export type ToHost<J> = { readonly id: number; readonly job: J };

export type FromHost<R> =
  | { readonly type: 'ready' }
  /** `retire`: the host holds more memory than it should keep; the lane replaces it. */
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

type Handler<J, R> = (job: J, stopRequested: () => Stop) => Promise<{ result: R; retire?: boolean }>;

/**
 * The host side, in a worker thread or a child process: runs `prepare` (loading engines, so their
 * load time is no job's), says it is ready, then answers each job with `handle`'s result.
 * `handle` gets a reader of the stop flag (never set in a process).
 * @example await serveJobs(warm, (job, stopRequested) => run(job, stopRequested));
 */
export async function serveJobs<J, R>(prepare: () => Promise<void>, handle: Handler<J, R>): Promise<void> {
  const channel = hostChannel<J, R>();
  const flag = (workerData as ThreadData | undefined)?.flag;
  const stopRequested = (): Stop => {
    const code = flag ? Atomics.load(flag, 0) : STOP_NONE;
    return code === STOP_ABORTED ? 'aborted' : code === STOP_TIMEOUT ? 'timeout' : undefined;
  };
  await prepare();
  const answer = async ({ id, job }: ToHost<J>): Promise<void> => {
    let reply: FromHost<R>;
    try {
      const { result, retire } = await handle(job, stopRequested);
      reply = { type: 'done', id, result, ...(retire ? { retire } : {}) };
    } catch (error) {
      reply = { type: 'failed', id, message: error instanceof Error ? error.message : String(error) };
    }
    channel.send(reply);
  };
  // `handle` never rejects (it catches), so nothing is lost by not awaiting it here.
  channel.listen((message) => void answer(message));
  channel.send({ type: 'ready' });
}

function hostChannel<J, R>() {
  const port = parentPort;
  if (port) {
    return {
      listen: (on: (message: ToHost<J>) => void) => port.on('message', on),
      send: (message: FromHost<R>) => port.postMessage(message),
    };
  }
  const send = process.send?.bind(process);
  if (!send)
    throw new Error('a sandbox entry runs in a worker thread or a child process started by the sandbox');
  // A process whose parent is gone (killed, exited) has nothing left to do.
  process.on('disconnect', () => process.exit(0));
  return {
    listen: (on: (message: ToHost<J>) => void) => process.on('message', on),
    send: (message: FromHost<R>) => send(message),
  };
}
