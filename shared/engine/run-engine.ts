import type { Page } from '../ports/page.ts';
import type { Completion, RunQuery, RunRecord } from '../ports/run-store.ts';
import { type AwaitedNodeMatch, completeAwaited } from './awaited-end.ts';
import {
  type CompletionAccepted,
  type CompletionRequest,
  completeNode,
  heartbeatNode,
} from './complete-node.ts';
import { EngineContext, type EngineDeps } from './context.ts';
import { evaluateTemplate } from './evaluate.ts';
import { type ItemPage, type ItemPageOptions, viewItems } from './map-view.ts';
import { decodeMessage } from './messages.ts';
import { type NodeLogsView, viewNodeLogs } from './node-logs.ts';
import { handleNodeMessage, type StepOptions, type StepResult } from './node-step.ts';
import { cancelRun, handleControlMessage, pauseRun, resumeRun, retryRun } from './run-controls.ts';
import { getOwnRun, type RunView, type RunViewOptions, viewRun } from './run-view.ts';
import { type StartRunRequest, type StartRunResult, startRun } from './start-run.ts';
import { type SweepOptions, type SweepReport, sweep } from './sweeper.ts';

/**
 * The engine's entry points, over ports only: the API starts, reads and controls runs; the
 * worker hands it queue messages; the sweeper calls `sweep` every minute.
 * @example
 * const engine = new RunEngine({ runs, definitions, queue, timer, clock, ids, executors, random });
 * const { run } = await engine.startRun({ tenant: 'acme', workflow: 'orders', inputs: { id: 7 } });
 */
export class RunEngine {
  private readonly cx: EngineContext;

  constructor(deps: EngineDeps) {
    this.cx = new EngineContext(deps);
  }

  /** The node types this engine's executors run (what its workers can do). */
  nodeTypes(): string[] {
    return this.cx.deps.executors.types();
  }

  startRun(request: StartRunRequest): Promise<StartRunResult> {
    return startRun(this.cx, request);
  }

  /**
   * Evaluates a template (a trigger's `inputs`) in the engine's expression sandbox, with
   * `payload` as `$inputs`; failures throw an `ExpressionError` naming `path`.
   */
  evaluateTemplate(template: unknown, payload: unknown, path = '$'): Promise<unknown> {
    return evaluateTemplate(
      template,
      { inputs: payload, nodes: {}, run: {} },
      this.cx.expressionOptions(),
      path,
    );
  }

  /** The run with its progress and nodes: every node with outputs unless `options` page them. */
  getRun(tenant: string, runId: string, options?: RunViewOptions): Promise<RunView> {
    return viewRun(this.cx, tenant, runId, options);
  }

  /** A page of the items of a map node of the run, in index order. */
  getItems(tenant: string, runId: string, nodeId: string, options?: ItemPageOptions): Promise<ItemPage> {
    return viewItems(this.cx, tenant, runId, nodeId, options);
  }

  /** What attempt `attempt` (default: the latest) of a node printed; see `viewNodeLogs`. */
  getNodeLogs(tenant: string, runId: string, nodeId: string, attempt?: number): Promise<NodeLogsView> {
    return viewNodeLogs(this.cx, tenant, runId, nodeId, attempt);
  }

  /** The run item only (status, outputs, error): cheap enough to poll. 404 for another tenant's run. */
  getRunRecord(tenant: string, runId: string): Promise<RunRecord> {
    return getOwnRun(this.cx, tenant, runId);
  }

  listRuns(tenant: string, query?: RunQuery): Promise<Page<RunRecord>> {
    return this.cx.runs.listRuns(tenant, query);
  }

  pause(tenant: string, runId: string): Promise<RunRecord> {
    return pauseRun(this.cx, tenant, runId);
  }

  resume(tenant: string, runId: string): Promise<RunRecord> {
    return resumeRun(this.cx, tenant, runId);
  }

  cancel(tenant: string, runId: string): Promise<RunRecord> {
    return cancelRun(this.cx, tenant, runId);
  }

  retry(tenant: string, runId: string, nodes?: readonly string[]): Promise<RunRecord> {
    return retryRun(this.cx, tenant, runId, nodes);
  }

  /** Completes a node waiting for an outside completion (a `callback`), once; see `completeNode`. */
  complete(
    tenant: string,
    runId: string,
    nodeId: string,
    request: CompletionRequest,
  ): Promise<CompletionAccepted> {
    return completeNode(this.cx, tenant, runId, nodeId, request);
  }

  /**
   * The end of outside work a node waits for by `ref` (a Step Functions execution's status
   * change): completes, once, the node of `runId` that `matches` picks and still waits for this
   * `ref`; an end nothing waits for any more changes nothing. See `completeAwaited`.
   */
  completeAwaited(
    runId: string,
    matches: AwaitedNodeMatch,
    ref: string,
    completion: Completion,
  ): Promise<boolean> {
    return completeAwaited(this.cx, runId, matches, ref, completion);
  }

  /** Moves a waiting callback's deadline one window on; see `heartbeatNode`. */
  heartbeat(tenant: string, runId: string, nodeId: string, token: string): Promise<CompletionAccepted> {
    return heartbeatNode(this.cx, tenant, runId, nodeId, token);
  }

  /**
   * Handles one queue message body. Resolves `done` (delete the message) or `retry` (leave it for
   * redelivery); throws only on infrastructure errors (store or queue down), which also mean retry.
   * A body that is not a Skein message is `dropped`, with the reason: the caller logs it and
   * deletes it.
   */
  async handleMessage(body: string, options: StepOptions = {}): Promise<StepResult> {
    const decoded = decodeMessage(body);
    if (decoded.kind === 'invalid') return { kind: 'dropped', reason: decoded.reason };
    if (decoded.kind === 'relay') {
      const { at, body: inner } = decoded.message;
      if (at > this.cx.now()) {
        await this.cx.deps.timer.schedule(inner, at);
        return { kind: 'done' };
      }
      return this.handleMessage(inner, options);
    }
    if (decoded.kind === 'control') {
      await handleControlMessage(this.cx, decoded.message, options.remainingMs);
      return { kind: 'done' };
    }
    return handleNodeMessage(this.cx, decoded.message, options);
  }

  sweep(options?: SweepOptions): Promise<SweepReport> {
    return sweep(this.cx, options);
  }
}
