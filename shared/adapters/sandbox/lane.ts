import { messageOf } from '../../ports/executor.ts';
import { type FromHost, stopCodeOf, type ToHost } from './protocol.ts';

/**
 * One thread or process that runs jobs, as a lane sees it (`thread-host.ts`, `process-host.ts`).
 * It reports through the `HostEvents` it was made with.
 */
export interface Host<J> {
  /** Sends a job; throws when the job cannot be serialised. */
  send(message: ToHost<J>): void;
  /**
   * Asks the running job to stop between instructions (a shared flag). False when the host has
   * no such flag: the lane then kills it at once.
   */
  requestStop(code: number): boolean;
  /** Ends the host now, whatever it runs. */
  kill(): Promise<void>;
  /** A busy host keeps the process alive; an idle one does not. */
  hold(busy: boolean): void;
}

export interface HostEvents<R> {
  message(message: FromHost<R>): void;
  /** The host ended without being killed: out of memory, or another failure (`message`). */
  died(death: { readonly memory: boolean; readonly message: string }): void;
}

export type HostFactory<J, R> = (events: HostEvents<R>) => Host<J>;

export interface LaneOptions<J, R> {
  /** Names the lane in messages: `expressions`, `scripts`. */
  readonly name: string;
  readonly spawn: HostFactory<J, R>;
  /** Most hosts at once; each runs one job at a time. */
  readonly size: number;
  /** After a job's budget (or its signal), how long its host has to answer before it is killed. */
  readonly graceMs: number;
}

/** How a job ended. Never a rejection: the caller maps each kind to its error codes. */
export type LaneOutcome<R> =
  | { readonly kind: 'done'; readonly value: R }
  /** Its host was killed: at the budget plus grace, or at the signal (plus grace for threads). */
  | { readonly kind: 'killed'; readonly why: 'deadline' | 'signal' }
  /** Its host reached its heap cap and was stopped by V8. */
  | { readonly kind: 'memory' }
  /** The signal fired before a host took the job. */
  | { readonly kind: 'not-started' }
  /** The lane is closed, the host did not start, or it died otherwise. */
  | { readonly kind: 'failed'; readonly message: string };

interface Task<J, R> {
  readonly job: J;
  readonly budgetMs: number;
  readonly signal: AbortSignal | undefined;
  readonly settle: (outcome: LaneOutcome<R>) => void;
}

interface Slot<J, R> {
  host: Host<J>;
  ready: boolean;
  task?: Task<J, R>;
  id: number;
  timer?: NodeJS.Timeout;
}

/**
 * A pool of hosts (worker threads or child processes) for one kind of job, with a hard kill per
 * job. A job waits in a FIFO queue until a host is free; its budget starts when a host takes it,
 * so time spent waiting never counts against it (its signal, the caller's overall deadline,
 * still applies). At budget + grace the host is killed (`worker.terminate()`, SIGKILL), whatever
 * it runs, and replaced at once. Hosts start when jobs first need them, and idle ones do not keep
 * the process alive.
 *
 * Hand-rolled rather than piscina or tinypool: both abort a running task only through a signal
 * the caller arms when submitting, so the time a task waits in their queue would count against
 * its budget; neither lets the task stop cleanly (shared flag) before the kill, nor runs tasks in
 * child processes (see `process-host.ts` for why expressions need one).
 */
export class Lane<J, R> {
  private readonly slots: Slot<J, R>[] = [];
  private readonly queue: Task<J, R>[] = [];
  private closed = false;
  private started = 0;

  constructor(private readonly options: LaneOptions<J, R>) {
    if (!(Number.isInteger(options.size) && options.size >= 1))
      throw new Error(`a sandbox lane needs at least 1 thread or process, got ${options.size}`);
  }

  /** Runs `job` on a host; `budgetMs` counts from when a host takes it. */
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

  /** Hosts alive (starting, idle or busy), busy ones, jobs waiting, hosts started so far. */
  stats(): { hosts: number; busy: number; waiting: number; started: number } {
    return {
      hosts: this.slots.length,
      busy: this.slots.filter((slot) => slot.task).length,
      waiting: this.queue.length,
      started: this.started,
    };
  }

  /** Kills every host; waiting and running jobs end `failed`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.settle(this.closedOutcome());
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      clearTimeout(slot.timer);
      slot.task?.settle(this.closedOutcome());
    }
    await Promise.all(slots.map((slot) => slot.host.kill()));
  }

  private closedOutcome(): LaneOutcome<R> {
    return { kind: 'failed', message: `the sandbox's ${this.options.name} lane is closed` };
  }

  /** Hands waiting jobs to idle hosts, and starts hosts for the jobs left (up to the size). */
  private pump(): void {
    for (;;) {
      const task = this.queue[0];
      const slot = this.slots.find((candidate) => candidate.ready && !candidate.task);
      if (!task || !slot) break;
      this.queue.shift();
      this.dispatch(slot, task);
    }
    const starting = this.slots.filter((slot) => !slot.ready).length;
    const wanted = Math.min(this.queue.length - starting, this.options.size - this.slots.length);
    for (let i = 0; i < wanted; i += 1) this.spawn();
  }

  private dispatch(slot: Slot<J, R>, task: Task<J, R>): void {
    slot.task = task;
    slot.id += 1;
    slot.host.hold(true);
    slot.timer = setTimeout(
      () => this.retire(slot, { kind: 'killed', why: 'deadline' }),
      task.budgetMs + this.options.graceMs,
    );
    try {
      slot.host.send({ id: slot.id, job: task.job });
    } catch (error) {
      // The job cannot be serialised (a function in it): a bug of the caller, the host is fine.
      this.release(slot);
      task.settle({ kind: 'failed', message: `the job cannot be sent: ${messageOf(error)}` });
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
    if (!slot.host.requestStop(stopCodeOf(task.signal))) {
      this.retire(slot, { kind: 'killed', why: 'signal' });
      return;
    }
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.retire(slot, { kind: 'killed', why: 'signal' }), this.options.graceMs);
  }

  private spawn(): void {
    // The slot exists before its host so the host's events always find it.
    const slot = { ready: false, id: 0 } as Slot<J, R>;
    this.slots.push(slot);
    this.started += 1;
    try {
      slot.host = this.options.spawn({
        message: (message) => this.receive(slot, message),
        died: ({ memory, message }) =>
          this.retire(slot, memory ? { kind: 'memory' } : { kind: 'failed', message }),
      });
    } catch (error) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      const message = `the ${this.options.name} lane cannot start: ${messageOf(error)}`;
      for (const waiting of this.queue.splice(0)) waiting.settle({ kind: 'failed', message });
    }
  }

  private receive(slot: Slot<J, R>, message: FromHost<R>): void {
    if (message.type === 'ready') {
      slot.ready = true;
      slot.host.hold(false);
      this.pump();
      return;
    }
    const task = slot.task;
    if (!task || message.id !== slot.id || !this.slots.includes(slot)) return;
    const outcome: LaneOutcome<R> =
      message.type === 'done'
        ? { kind: 'done', value: message.result }
        : { kind: 'failed', message: `the ${this.options.name} lane failed: ${message.message}` };
    if (message.type === 'done' && message.retire) {
      this.retire(slot, outcome);
      return;
    }
    this.release(slot);
    task.settle(outcome);
    this.pump();
  }

  /** The host is free again. */
  private release(slot: Slot<J, R>): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.task = undefined;
    slot.host.hold(false);
  }

  /**
   * Takes a host out of the lane and kills it; its job ends with `outcome`. A host that dies
   * before it was ever ready takes the waiting jobs with it, rather than being restarted in a loop
   * (an entry that does not load fails every job the same way).
   */
  private retire(slot: Slot<J, R>, outcome: LaneOutcome<R>): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    void slot.host.kill();
    task?.settle(outcome);
    if (!slot.ready) {
      const why = outcome.kind === 'failed' ? outcome.message : `it stopped (${outcome.kind})`;
      const message = `the ${this.options.name} lane could not start a host: ${why}`;
      for (const waiting of this.queue.splice(0)) waiting.settle({ kind: 'failed', message });
    } else if (!this.closed && this.queue.length === 0) {
      // Replaced now rather than on the next job, so that job (often the node's retry) does not
      // spend its node's timeout waiting for a host to start.
      this.spawn();
    }
    this.pump();
  }
}
