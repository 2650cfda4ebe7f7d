import { NotFoundError } from '../domain/problems.ts';
import type { AttemptLogsEntry } from '../ports/attempt-logs.ts';
import type { Clock } from '../ports/clock.ts';
import type { DefinitionStore } from '../ports/definition-store.ts';
import type { Executors } from '../ports/executors.ts';
import type { Ids } from '../ports/ids.ts';
import { MAX_DELAY_SECONDS, type Queue } from '../ports/queue.ts';
import {
  ACTIVE_RUN_STATUSES,
  type ErrorInfo,
  type NodeStatus,
  type RunRecord,
  type RunStore,
  TERMINAL_NODE_STATUSES,
  TERMINAL_RUN_STATUSES,
} from '../ports/run-store.ts';
import type { ExpressionSandbox } from '../ports/sandbox.ts';
import type { Timer } from '../ports/timer.ts';
import type { EvaluateOptions } from './evaluate.ts';
import { encodeNodeMessage, type NodeMessage } from './messages.ts';
import { compilePlan, type Plan } from './plan.ts';

/** What the engine emits as runs progress (the CLI prints them; the stream monitor derives its own). */
export interface EngineEvent {
  readonly type:
    | 'run.started'
    | 'run.queued'
    | 'run.dequeued'
    | 'run.succeeded'
    | 'run.failed'
    | 'run.cancelled'
    | 'run.timed_out'
    | 'run.paused'
    | 'run.resumed'
    | 'run.retrying'
    | 'run.retried'
    | 'node.started'
    | 'node.succeeded'
    | 'node.failed'
    | 'node.retrying'
    | 'node.skipped'
    | 'node.cancelled'
    | 'node.waiting'
    | 'node.parked'
    | 'trigger.fired'
    | 'trigger.failed';
  /** The run; for `trigger.failed` before a run existed, the empty string. */
  readonly runId: string;
  /** `trigger.*`: the tenant and trigger, and the firing's scheduled time (cron). */
  readonly tenant?: string;
  readonly triggerId?: string;
  readonly scheduledAt?: string;
  readonly nodeId?: string;
  readonly attempt?: number;
  readonly error?: ErrorInfo;
  readonly reason?: string;
  /** `node.waiting` for an outside completion: the token that completes the node. */
  readonly completionToken?: string;
  readonly at: string;
}

export interface EngineSettings {
  /** Node timeout when neither the node nor the definition's defaults set one. */
  readonly defaultNodeTimeoutMs: number;
  /** Lease = node timeout + this; past it another worker may take the node over. */
  readonly leaseGraceMs: number;
  /** Runs and their nodes are kept this long after they end (DynamoDB TTL). */
  readonly retentionDays: number;
  /** Runs without a `timeout` are kept at most this long while active, for TTL purposes. */
  readonly maxRunDays: number;
  /** Per JSONata expression, timed in the sandbox's thread (waiting for a thread does not count). */
  readonly expressionTimeoutMs: number;
  /** Ends a worker's attempt this long before its deadline, to hand the node back in time. */
  readonly handBackMarginMs: number;
  /**
   * A control (cancel, time-out, retry) with at most this many nodes to write finishes within the
   * call; a larger one answers at once and goes on in the background (control messages).
   */
  readonly inlineControlNodes: number;
  /** Node writes per slice of a control in the background (then another control message). */
  readonly controlSliceNodes: number;
  /** Time per slice of a control in the background when the worker's own time is not known. */
  readonly controlSliceMs: number;
  /**
   * A node whose message should have come (a released child, a root, a complete join, a READY
   * node) is re-sent by the sweeper only once its run has shown no activity for this long, so a
   * message that is merely queued behind others is not sent twice. Doubled for each re-send.
   */
  readonly lostMessageMs: number;
  /**
   * The tenant quota: at most this many active runs (RUNNING or PAUSED) per tenant; more wait
   * QUEUED and start in order. A deployment setting (`SKEIN_TENANT_MAX_ACTIVE_RUNS`). @default none
   */
  readonly maxActiveRunsPerTenant?: number;
  /**
   * Each worker pool's function timeout (AWS): a node without a timeout of its own gets at most
   * what its pool can run, so it is not cut by the function. @default none (local workers have no limit)
   */
  readonly poolTimeoutsMs?: Readonly<Record<string, number>>;
  /**
   * A node handed back this many times (the worker's time ran out before the node's) fails with
   * `WORKER_TIME_EXCEEDED` at the next one, instead of looping through the queue forever.
   */
  readonly maxHandBacks: number;
  /**
   * A worker that finishes a node records the run's progress (`progressAt`) when the recorded one
   * is older than this; the sweeper leaves runs that moved within this plus its quiet time alone.
   */
  readonly progressEveryMs: number;
}

export const DEFAULT_SETTINGS: EngineSettings = {
  defaultNodeTimeoutMs: 300_000,
  leaseGraceMs: 30_000,
  retentionDays: 30,
  maxRunDays: 365,
  expressionTimeoutMs: 1_000,
  handBackMarginMs: 2_000,
  inlineControlNodes: 200,
  controlSliceNodes: 2_000,
  controlSliceMs: 20_000,
  lostMessageMs: 10 * 60_000,
  maxHandBacks: 3,
  progressEveryMs: 60_000,
};

export interface EngineDeps {
  readonly runs: RunStore;
  readonly definitions: DefinitionStore;
  readonly queue: Queue;
  readonly timer: Timer;
  readonly clock: Clock;
  readonly ids: Ids;
  /**
   * The node kinds: what runs a node, and what the engine must know of a kind even where no node
   * runs (a condition's routes, read by the sweeper and retries). Workers get `defaultExecutors()`,
   * every other engine at least `flowExecutors()` (`shared/executors/`).
   */
  readonly executors: Executors;
  /**
   * Where `with`, `when`, `if` and run `outputs` expressions are evaluated: tenant code, so off
   * this thread, with a memory cap and a kill at the deadline (`shared/adapters/sandbox/`).
   */
  readonly sandbox: ExpressionSandbox;
  /** Uniform in [0, 1): retry jitter. */
  readonly random: () => number;
  readonly observer?: (event: EngineEvent) => void;
  /**
   * What a script printed in an attempt, once stored with it: on AWS the worker writes each line to
   * CloudWatch Logs with its run, node and attempt (`functions/composition/aws-engine.ts`).
   */
  readonly onScriptLogs?: (entry: AttemptLogsEntry) => void;
  /** Problems the engine handled but an operator should see (a result too large to store). */
  readonly log?: (message: string, details: Record<string, unknown>) => void;
  readonly settings?: Partial<EngineSettings>;
}

export const TERMINAL_RUN = TERMINAL_RUN_STATUSES;
export const ACTIVE_RUN = ACTIVE_RUN_STATUSES;
/** Terminal node statuses as a set that also takes "no status yet" (`undefined`). */
export const TERMINAL_NODE: ReadonlySet<NodeStatus | undefined> = new Set(TERMINAL_NODE_STATUSES);

/** The node's worker pool, and the tenant as the fairness group (SQS fair queues). */
function poolOf(plan: Plan | undefined, nodeId: string): { pool?: string; group?: string } {
  const pool = plan?.node(nodeId)?.pool;
  return {
    ...(pool === undefined ? {} : { pool }),
    ...(plan?.tenant === undefined ? {} : { group: plan.tenant }),
  };
}

/** Shared by the engine's modules: ports, settings, and the plan cache. */
export class EngineContext {
  readonly settings: EngineSettings;
  private readonly plans = new Map<string, Promise<Plan>>();
  private lastIso: [number, string] = [Number.NaN, ''];
  private readonly inputs = new Map<string, Promise<unknown>>();

  constructor(readonly deps: EngineDeps) {
    this.settings = { ...DEFAULT_SETTINGS, ...deps.settings };
  }

  get runs() {
    return this.deps.runs;
  }

  now(): number {
    return this.deps.clock.now();
  }

  iso(ms = this.now()): string {
    // A node's handling asks for the same millisecond several times: format it once.
    if (ms !== this.lastIso[0]) this.lastIso = [ms, new Date(ms).toISOString()];
    return this.lastIso[1];
  }

  emit(event: Omit<EngineEvent, 'at'>): void {
    this.deps.observer?.({ ...event, at: this.iso() });
  }

  /** The compiled plan of the run's pinned version (cached: versions are immutable). */
  planFor(run: Pick<RunRecord, 'tenant' | 'workflow' | 'version'>): Promise<Plan> {
    const key = `${run.tenant}\u0000${run.workflow}\u0000${run.version}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.deps.definitions.getVersion(run.tenant, run.workflow, run.version).then((record) => {
        if (!record) {
          throw new NotFoundError(`workflow ${run.workflow} version ${run.version} is not published`);
        }
        return { ...compilePlan(record.definition, this.deps.executors), tenant: run.tenant };
      });
      plan.catch(() => this.plans.delete(key));
      if (this.plans.size > 500) this.plans.clear();
      this.plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Enqueues node messages now (fresh tokens), in batches, each on its node's worker pool (the
   * node's `pool` in `plan`; the default pool without a plan or a pool).
   */
  async enqueue(messages: readonly Omit<NodeMessage, 'token'>[], plan?: Plan): Promise<void> {
    if (messages.length === 0) return;
    await this.deps.queue.send(
      messages.map((message) => ({
        body: encodeNodeMessage({ ...message, token: this.deps.ids.newId() }),
        ...poolOf(plan, message.nodeId),
      })),
    );
  }

  /** Delivers a node message at `atMs`: a queue delay up to 15 minutes, the timer beyond. */
  async enqueueAt(message: NodeMessage, atMs: number, plan?: Plan): Promise<void> {
    const body = encodeNodeMessage(message);
    const delaySeconds = Math.max(0, Math.ceil((atMs - this.now()) / 1000));
    const pool = poolOf(plan, message.nodeId);
    if (delaySeconds <= MAX_DELAY_SECONDS) {
      await this.deps.queue.send([{ body, delaySeconds, ...pool }]);
    } else {
      await this.deps.timer.schedule(body, atMs, pool.pool);
    }
  }

  /** A run's inputs, cached (they never change). */
  inputsOf(runId: string): Promise<unknown> {
    let inputs = this.inputs.get(runId);
    if (!inputs) {
      inputs = this.deps.runs.getInputs(runId);
      inputs.catch(() => this.inputs.delete(runId));
      if (this.inputs.size > 1_000) this.inputs.clear();
      this.inputs.set(runId, inputs);
    }
    return inputs;
  }

  expressionOptions(): EvaluateOptions {
    return {
      clock: this.deps.clock,
      timeoutMs: this.settings.expressionTimeoutMs,
      sandbox: this.deps.sandbox,
    };
  }

  newToken(): string {
    return this.deps.ids.newId();
  }
}
