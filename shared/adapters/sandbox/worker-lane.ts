import { Worker } from 'node:worker_threads';
import { messageOf } from '../../ports/executor.ts';
import { type FromThread, STOP_NONE, stopCodeOf, type ThreadData, type ToThread } from './protocol.ts';

/** Where a lane's threads start: a module URL and what it is given. */
export interface WorkerEntry {
  readonly url: URL;
  /** Besides the stop flag: the tsx bootstrap reads the entry to import from here. */
  readonly entry?: string;
}

export interface LaneOptions {
  /** Names the lane in messages: `expressions`, `scripts`. */
  readonly name: string;
  readonly entry: WorkerEntry;
  /** Most threads at once; each runs one job at a time. */
  readonly threads: number;
  /** V8 heap cap of each thread (`resourceLimits.maxOldGenerationSizeMb`). */
  readonly heapMb: number;
  /** After a job's budget (or its signal), how long its thread has to answer before it is killed. */
  readonly graceMs: number;
}

/** How a job ended. Never a rejection: the caller maps each kind to its error codes. */
export type LaneOutcome<R> =
  | { readonly kind: 'done'; readonly value: R }
  /** Its thread was terminated: at the budget plus grace, or at the signal plus grace. */
  | { readonly kind: 'killed'; readonly why: 'deadline' | 'signal' }
  /** Its thread reached the heap cap and V8 stopped it. */
  | { readonly kind: 'memory' }
  /** The signal fired before a thread took the job. */
  | { readonly kind: 'not-started' }
  /** The lane is closed, the thread did not start, or it died otherwise. */
  | { readonly kind: 'failed'; readonly message: string };

interface Task<J, R> {
  readonly job: J;
  readonly budgetMs: number;
  readonly signal: AbortSignal | undefined;
  readonly settle: (outcome: LaneOutcome<R>) => void;
}

interface Slot<J, R> {
  readonly worker: Worker;
  readonly flag: Int32Array;
  ready: boolean;
  task?: Task<J, R>;
  id: number;
  timer?: NodeJS.Timeout;
}

/**
 * A pool of worker threads for one kind of job, with a hard kill per job. A job waits in a FIFO
 * queue until a thread is free; its budget starts when a thread takes it, so time spent waiting
 * never counts against it (its signal, the caller's overall deadline, still applies). At budget +
 * grace the thread is terminated (`worker.terminate()`), whatever it runs, and replaced on demand.
 * Threads start when jobs need them, and an idle thread is `unref`ed, so a lane never keeps a
 * process alive by itself.
 *
 * Hand-rolled rather than piscina or tinypool: both abort a running task only through a signal
 * the caller arms when submitting, so the time a task waits in their queue would count against
 * its budget; neither lets the task stop cleanly (shared flag) before the kill.
 */
export class WorkerLane<J, R> {
  private readonly slots: Slot<J, R>[] = [];
  private readonly queue: Task<J, R>[] = [];
  private closed = false;

  constructor(private readonly options: LaneOptions) {
    if (!(Number.isInteger(options.threads) && options.threads >= 1))
      throw new Error(`a sandbox lane needs at least 1 thread, got ${options.threads}`);
  }

  /** Runs `job` on a thread; `budgetMs` counts from when a thread takes it. */
  run(job: J, budgetMs: number, signal?: AbortSignal): Promise<LaneOutcome<R>> {
    if (this.closed) return Promise.resolve(this.closedOutcome());
    if (signal?.aborted) return Promise.resolve({ kind: 'not-started' });
    return new Promise((resolve) => {
      let settled = false;
      const onAbort = () => this.abort(task);
      const task: Task<J, R> = {
        job,
        budgetMs,
        signal,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(task);
      this.pump();
    });
  }

  /** Threads alive (starting, idle or busy) and jobs waiting: for tests and metrics. */
  stats(): { threads: number; busy: number; waiting: number } {
    return {
      threads: this.slots.length,
      busy: this.slots.filter((slot) => slot.task).length,
      waiting: this.queue.length,
    };
  }

  /** Terminates every thread; waiting and running jobs end `failed`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.settle(this.closedOutcome());
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      clearTimeout(slot.timer);
      slot.task?.settle(this.closedOutcome());
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private closedOutcome(): LaneOutcome<R> {
    return { kind: 'failed', message: `the sandbox's ${this.options.name} lane is closed` };
  }

  /** Hands waiting jobs to idle threads, and starts threads for the jobs left (up to the cap). */
  private pump(): void {
    for (;;) {
      const task = this.queue[0];
      const slot = this.slots.find((candidate) => candidate.ready && !candidate.task);
      if (!task || !slot) break;
      this.queue.shift();
      this.dispatch(slot, task);
    }
    const starting = this.slots.filter((slot) => !slot.ready).length;
    const wanted = Math.min(this.queue.length - starting, this.options.threads - this.slots.length);
    for (let i = 0; i < wanted; i += 1) this.spawn();
  }

  private dispatch(slot: Slot<J, R>, task: Task<J, R>): void {
    slot.task = task;
    slot.id += 1;
    Atomics.store(slot.flag, 0, STOP_NONE);
    slot.worker.ref();
    slot.timer = setTimeout(
      () => this.retire(slot, { kind: 'killed', why: 'deadline' }),
      task.budgetMs + this.options.graceMs,
    );
    try {
      slot.worker.postMessage({ id: slot.id, job: task.job } satisfies ToThread<J>);
    } catch (error) {
      // The job cannot be cloned (a function in it): a bug of the caller, the thread is fine.
      this.release(slot);
      task.settle({ kind: 'failed', message: `the job cannot be sent to a thread: ${messageOf(error)}` });
      this.pump();
    }
  }

  /** The signal fired: a waiting job leaves the queue; a running one is asked to stop, then killed. */
  private abort(task: Task<J, R>): void {
    const waiting = this.queue.indexOf(task);
    if (waiting >= 0) {
      this.queue.splice(waiting, 1);
      task.settle({ kind: 'not-started' });
      return;
    }
    const slot = this.slots.find((candidate) => candidate.task === task);
    if (!slot || !task.signal) return;
    Atomics.store(slot.flag, 0, stopCodeOf(task.signal));
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.retire(slot, { kind: 'killed', why: 'signal' }), this.options.graceMs);
  }

  private spawn(): void {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const { entry, url } = this.options.entry;
    const data: ThreadData = { flag, ...(entry === undefined ? {} : { entry }) };
    const worker = new Worker(url, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.options.heapMb },
      // Tenant code has no way to read the environment; should it ever escape its engine, the
      // thread's copy is empty all the same (on Lambda the parent's holds credentials).
      env: {},
    });
    const slot: Slot<J, R> = { worker, flag, ready: false, id: 0 };
    this.slots.push(slot);
    worker.on('message', (message: FromThread<R>) => this.receive(slot, message));
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') this.retire(slot, { kind: 'memory' });
      else this.retire(slot, { kind: 'failed', message: `its thread failed: ${error.message}` });
    });
    worker.on('exit', (code) =>
      this.retire(slot, { kind: 'failed', message: `its thread exited (${code})` }),
    );
  }

  private receive(slot: Slot<J, R>, message: FromThread<R>): void {
    if (message.type === 'ready') {
      slot.ready = true;
      slot.worker.unref();
      this.pump();
      return;
    }
    const task = slot.task;
    if (!task || message.id !== slot.id || !this.slots.includes(slot)) return;
    const outcome: LaneOutcome<R> =
      message.type === 'done'
        ? { kind: 'done', value: message.result }
        : { kind: 'failed', message: `the ${this.options.name} thread failed: ${message.message}` };
    if (message.type === 'done' && message.retire) {
      this.retire(slot, outcome);
      return;
    }
    this.release(slot);
    task.settle(outcome);
    this.pump();
  }

  /** The thread is free again. */
  private release(slot: Slot<J, R>): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.task = undefined;
    slot.worker.unref();
  }

  /**
   * Takes a thread out of the lane and terminates it; its job ends with `outcome`. A thread that
   * dies before it was ever ready takes the waiting jobs with it, rather than being restarted in
   * a loop (an entry that does not load fails every job the same way).
   */
  private retire(slot: Slot<J, R>, outcome: LaneOutcome<R>): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    void slot.worker.terminate();
    task?.settle(outcome);
    if (!slot.ready) {
      const message = outcome.kind === 'failed' ? outcome.message : `its thread stopped (${outcome.kind})`;
      for (const waiting of this.queue.splice(0))
        waiting.settle({
          kind: 'failed',
          message: `the ${this.options.name} thread did not start: ${message}`,
        });
    }
    this.pump();
  }
}
