import { MemoryDefinitionStore } from '../adapters/memory/definition-store.ts';
import { MemoryQueue } from '../adapters/memory/queue.ts';
import { QueueRelayTimer } from '../adapters/memory/queue-relay-timer.ts';
import { MemoryRunStore } from '../adapters/memory/run-store.ts';
import { sharedSandbox } from '../adapters/sandbox/sandbox-pool.ts';
import { parseSource } from '../domain/source.ts';
import { BatchReads } from '../engine/batch-reads.ts';
import type { EngineEvent, EngineSettings } from '../engine/context.ts';
import { deliverMessage } from '../engine/delivery.ts';
import { publishDefinition } from '../engine/publish-definition.ts';
import { RunEngine } from '../engine/run-engine.ts';
import type { RunView } from '../engine/run-view.ts';
import type { StartRunRequest } from '../engine/start-run.ts';
import { defaultExecutors } from '../executors/registry.ts';
import type { AttemptLogsEntry } from '../ports/attempt-logs.ts';
import { FakeClock } from '../ports/clock.ts';
import type { DefinitionStore } from '../ports/definition-store.ts';
import type { Executors } from '../ports/executors.ts';
import { type Ids, sequentialIds } from '../ports/ids.ts';
import type { ReceivedMessage } from '../ports/queue.ts';
import type { RunStore } from '../ports/run-store.ts';
import type { Sandbox } from '../ports/sandbox.ts';

export interface HarnessOptions {
  readonly runs?: RunStore;
  readonly definitions?: DefinitionStore;
  /** @default defaultExecutors({ script: { sandbox } }) */
  readonly executors?: Executors;
  /**
   * Where expressions and (default) scripts run: worker threads, as in production.
   * @default sharedSandbox(), whose idle threads do not hold the test process open
   */
  readonly sandbox?: Sandbox;
  readonly settings?: Partial<EngineSettings>;
  readonly clock?: FakeClock;
  readonly ids?: Ids;
  /** Retry jitter source. @default () => 0.5 */
  readonly random?: () => number;
  /**
   * Fault injection: called before each delivery is handled. `skip` leaves it undeleted (it comes
   * back after the visibility timeout), `duplicate` sends a copy and then handles it.
   */
  readonly intercept?: (message: ReceivedMessage) => 'handle' | 'skip' | 'duplicate' | undefined;
  /** The node queue (on `clock`). @default a MemoryQueue with a 60 s visibility timeout */
  readonly queue?: MemoryQueue;
}

export const TENANT = 'test';

/**
 * Runs workflows in-process on memory adapters and a fake clock: publish a definition, start a
 * run, `drain()` the queue (the clock jumps to the next delayed message when nothing is visible),
 * then read the run. The same engine code as production; nothing sleeps.
 * @example
 * const harness = new WorkflowHarness();
 * await harness.publish({ id: 'hello', nodes: { a: { type: 'noop' } } });
 * const run = await harness.run('hello');
 * expect(run.status).toBe('SUCCEEDED');
 */
export class WorkflowHarness {
  readonly clock: FakeClock;
  readonly queue: MemoryQueue;
  readonly runs: RunStore;
  readonly definitions: DefinitionStore;
  readonly engine: RunEngine;
  readonly events: EngineEvent[] = [];
  /** What scripts printed, per attempt, as the engine handed it on once stored. */
  readonly scriptLogs: AttemptLogsEntry[] = [];
  /** What the engine logged (`EngineDeps.log`). */
  readonly logs: { message: string; details: Record<string, unknown> }[] = [];
  /** Queue messages handled so far (each delivery counts). */
  handled = 0;

  constructor(private readonly options: HarnessOptions = {}) {
    this.clock = options.clock ?? new FakeClock();
    this.queue = options.queue ?? new MemoryQueue({ clock: this.clock, visibilitySeconds: 60 });
    this.runs = options.runs ?? new MemoryRunStore();
    this.definitions = options.definitions ?? new MemoryDefinitionStore();
    const sandbox = options.sandbox ?? sharedSandbox();
    this.engine = new RunEngine({
      runs: this.runs,
      definitions: this.definitions,
      queue: this.queue,
      timer: new QueueRelayTimer(this.queue, this.clock),
      clock: this.clock,
      ids: options.ids ?? sequentialIds('m'),
      // Scripts and expressions are timed by their thread's real clock: their budgets bound real
      // CPU work, and a fake clock that only moves between deliveries would never stop a loop.
      executors: options.executors ?? defaultExecutors({ script: { sandbox } }),
      sandbox,
      random: options.random ?? (() => 0.5),
      observer: (event) => this.events.push(event),
      onScriptLogs: (entry) => this.scriptLogs.push(entry),
      log: (message, details) => this.logs.push({ message, details }),
      ...(options.settings ? { settings: options.settings } : {}),
    });
  }

  /** Publishes a definition (an object, or YAML/JSON text) as `version` of its `id`. */
  async publish(definition: object | string, version = '1.0.0', tenant = TENANT): Promise<string> {
    const body = typeof definition === 'string' ? parseSource(definition, 'yaml').value : definition;
    const workflowId = (body as { id?: string }).id ?? 'workflow';
    await publishDefinition(
      { definitions: this.definitions, clock: this.clock },
      { tenant, workflowId, version, body },
    );
    return workflowId;
  }

  async start(workflow: string, inputs?: unknown, request: Partial<StartRunRequest> = {}): Promise<string> {
    const { run } = await this.engine.startRun({ tenant: TENANT, workflow, inputs, ...request });
    return run.runId;
  }

  /** Handles one batch of visible messages; returns how many were received. */
  async step(): Promise<number> {
    const batch = await this.queue.receive({ max: 10 });
    const reads = new BatchReads();
    await Promise.all(batch.map((message) => this.deliver(message, reads)));
    return batch.length;
  }

  /** Handles messages until the queue is empty, moving the clock to delayed ones. */
  async drain(maxDeliveries = 200_000): Promise<void> {
    const start = this.handled;
    while (this.handled - start < maxDeliveries) {
      if ((await this.step()) > 0) continue;
      const next = this.queue.nextVisibleAt();
      if (next === undefined) return;
      this.clock.set(Math.max(this.clock.now(), next));
    }
    throw new Error(`the queue did not drain within ${maxDeliveries} deliveries`);
  }

  /** Starts a run, drains, and returns the run's view. */
  async run(workflow: string, inputs?: unknown, request: Partial<StartRunRequest> = {}): Promise<RunView> {
    const runId = await this.start(workflow, inputs, request);
    await this.drain();
    return this.view(runId);
  }

  view(runId: string): Promise<RunView> {
    return this.engine.getRun(TENANT, runId);
  }

  private async deliver(message: ReceivedMessage, reads: BatchReads): Promise<void> {
    this.handled += 1;
    const action = this.options.intercept?.(message) ?? 'handle';
    if (action === 'skip') return;
    if (action === 'duplicate') await this.queue.send([{ body: message.body }]);
    let failure: unknown;
    const delivery = await deliverMessage(
      {
        engine: this.engine,
        queue: this.queue,
        random: this.options.random ?? (() => 0.5),
        // A test wants the engine's own error, not a redelivery that would hide it.
        log: (level, _message, details) => {
          if (level === 'error') failure ??= details.error;
        },
      },
      message,
      { reads },
    );
    if (failure !== undefined) throw failure;
    if (delivery.kind === 'done') await this.queue.delete(message.receipt);
  }
}
