import {
  type ExecutionState,
  type ExecutionStatus,
  executionArnOf,
  type StartedExecution,
  type StateMachines,
} from '../../ports/state-machines.ts';

/** How a test ends an execution. */
export type ExecutionEnding =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; readonly error?: string; readonly cause?: string };

/** Receives the status-change event of an execution that ended (what EventBridge delivers on AWS). */
export type ExecutionEndListener = (state: ExecutionState) => Promise<unknown> | unknown;

/**
 * Step Functions in memory, for tests and `skein run`: executions run until the test ends them
 * (`end`), and each end is delivered to the listeners (`onEnd`) as the status-change event would
 * be, so a `stepfunctions` node runs without AWS. Starts are idempotent by name, as on AWS.
 * @example
 * const machines = new MemoryStateMachines({ allow: [arn] });
 * machines.onEnd((state) => handleExecutionEnd({ engine, machines }, state));
 * await machines.end(machines.executions()[0].executionArn, { status: 'SUCCEEDED', output: { ok: true } });
 */
export class MemoryStateMachines implements StateMachines {
  private readonly allowed: ReadonlySet<string>;
  private readonly states = new Map<string, { state: ExecutionState; input: string }>();
  private readonly listeners: ExecutionEndListener[] = [];
  private readonly starters: ((state: ExecutionState) => Promise<unknown> | unknown)[] = [];
  /** Every `start` call, including those that found an execution of the name. */
  readonly starts: { readonly stateMachineArn: string; readonly name: string; readonly input: unknown }[] =
    [];
  /** Every `describe` call's execution ARN. */
  readonly describes: string[] = [];

  constructor(options: { readonly allow: readonly string[] }) {
    this.allowed = new Set(options.allow);
  }

  allows(stateMachineArn: string): boolean {
    return this.allowed.has(stateMachineArn);
  }

  async start(stateMachineArn: string, name: string, input: string): Promise<StartedExecution> {
    this.starts.push({ stateMachineArn, name, input: JSON.parse(input) });
    const executionArn = executionArnOf(stateMachineArn, name);
    if (this.states.has(executionArn)) return { executionArn, existed: true };
    const state: ExecutionState = { executionArn, stateMachineArn, name, status: 'RUNNING' };
    this.states.set(executionArn, { state, input });
    for (const started of this.starters) await started(state);
    return { executionArn, existed: false };
  }

  async describe(executionArn: string): Promise<ExecutionState> {
    this.describes.push(executionArn);
    const found = this.states.get(executionArn);
    if (!found) throw new Error(`ExecutionDoesNotExist: ${executionArn}`);
    return found.state;
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    if (this.states.get(executionArn)?.state.status !== 'RUNNING') return;
    await this.end(executionArn, { status: 'ABORTED', cause });
  }

  /** Receives every execution's end (the status-change events). */
  onEnd(listener: ExecutionEndListener): this {
    this.listeners.push(listener);
    return this;
  }

  /** Called inside `start` for each new execution, before it returns (to end one at once, say). */
  onStart(started: (state: ExecutionState) => Promise<unknown> | unknown): this {
    this.starters.push(started);
    return this;
  }

  /**
   * Ends a running execution and delivers its status-change event to the listeners (unless
   * `deliver` is false: an event lost on the way). Returns the ended state.
   */
  async end(executionArn: string, ending: ExecutionEnding, deliver = true): Promise<ExecutionState> {
    const found = this.states.get(executionArn);
    if (found?.state.status !== 'RUNNING') throw new Error(`execution ${executionArn} is not running`);
    const { status, ...rest } = ending;
    const state: ExecutionState = {
      ...found.state,
      status: status as ExecutionStatus,
      ...('output' in rest ? { output: JSON.stringify(rest.output) } : {}),
      ...('error' in rest && rest.error !== undefined ? { error: rest.error } : {}),
      ...('cause' in rest && rest.cause !== undefined ? { cause: rest.cause } : {}),
    };
    this.states.set(executionArn, { ...found, state });
    if (deliver) await this.deliver(state);
    return state;
  }

  /** Delivers a status-change event again (EventBridge delivers at least once). */
  async deliver(state: ExecutionState): Promise<void> {
    for (const listener of this.listeners) await listener(state);
  }

  /** The executions started so far, oldest first. */
  executions(): ExecutionState[] {
    return [...this.states.values()].map(({ state }) => state);
  }
}
