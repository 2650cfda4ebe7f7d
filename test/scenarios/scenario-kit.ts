import { expect } from 'vitest';
import { SkeinError } from '../../shared/domain/problems.ts';
import { flowExecutors } from '../../shared/executors/flow.ts';
import { ScriptExecutor } from '../../shared/executors/script.ts';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../shared/ports/executor.ts';
import type { ExecutorRegistry } from '../../shared/ports/executors.ts';
import type { RunQuery } from '../../shared/ports/run-store.ts';
import type { HarnessOptions, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';

/** Builds a fresh harness; the engine scenarios run on any run store through it. */
export type MakeHarness = (options?: HarnessOptions) => Promise<WorkflowHarness> | WorkflowHarness;

export type ProbeBehaviour = (
  request: ExecutionRequest<unknown>,
) => Promise<ExecutionResult> | ExecutionResult;

/**
 * Stands in for `noop`: counts executions per node and, per node, runs a behaviour the test sets
 * (fail, wait for something, call a run control). Without one it returns its `with` like `noop`.
 */
export class ProbeExecutor implements Executor {
  readonly type = 'noop';
  private readonly executions = new Map<string, number>();
  private readonly behaviours = new Map<string, ProbeBehaviour>();

  on(nodeId: string, behaviour: ProbeBehaviour): this {
    this.behaviours.set(nodeId, behaviour);
    return this;
  }

  count(nodeId: string): number {
    return this.executions.get(nodeId) ?? 0;
  }

  async execute(request: ExecutionRequest<unknown>): Promise<ExecutionResult> {
    const { nodeId } = request.ctx;
    this.executions.set(nodeId, this.count(nodeId) + 1);
    const behaviour = this.behaviours.get(nodeId);
    return behaviour ? behaviour(request) : { kind: 'succeeded', output: request.inputs ?? null };
  }
}

/** A failed result, as executors return them. */
export const fail = (code: string, retryable = false): ExecutionResult => ({
  kind: 'failed',
  error: { code, message: `${code} on purpose`, retryable },
});

/** The probe for `noop` nodes, plus the flow kinds (condition, wait) and the real script executor. */
export function probeRegistry(probe: ProbeExecutor): ExecutorRegistry {
  return flowExecutors().register(probe).register(new ScriptExecutor());
}

/** A harness whose `noop` nodes go through a fresh probe. */
export async function probeHarness(makeHarness: MakeHarness, options: HarnessOptions = {}) {
  const probe = new ProbeExecutor();
  const harness = await makeHarness({ ...options, executors: probeRegistry(probe) });
  return { harness, probe };
}

/** The SkeinError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function refusal(promise: Promise<unknown>): Promise<SkeinError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SkeinError);
  return error as SkeinError;
}

/** Every run id of a listing, newest first, across pages (a page may be short and still go on). */
export async function listRunIds(harness: WorkflowHarness, tenant: string, query: RunQuery = {}) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await harness.engine.listRuns(tenant, { ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((run) => run.runId));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

/** Epoch ms at which each attempt of `nodeId` started (from the engine's events). */
export function attemptStarts(harness: WorkflowHarness, nodeId: string): number[] {
  return harness.events
    .filter((event) => event.type === 'node.started' && event.nodeId === nodeId)
    .map((event) => Date.parse(event.at));
}

/** Yields to other work until `done()` holds (at most ~5 s of real time; then it fails). */
export async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 5_000; tries += 1) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('the awaited condition never held');
}

/** Handles visible messages until none is left, without moving the clock. */
export async function settle(harness: WorkflowHarness): Promise<void> {
  while ((await harness.step()) > 0) {
    // keep going: each batch may release more nodes
  }
}

/** A js script node. */
export const js = (code: string, more: object = {}) => ({ type: 'script', language: 'js', code, ...more });

/** A lua script node. */
export const lua = (code: string, more: object = {}) => ({ type: 'script', language: 'lua', code, ...more });

/** A js script node that always fails with SCRIPT_ERROR (not retryable unless `retryOn` lists it). */
export const failing = (more: object = {}) => js('throw new Error("boom")', more);

/** A node whose `when` is false, so it is SKIPPED. */
export const skipped = (more: object = {}) => ({ type: 'noop', when: '{% false %}', ...more });

/** `a` → `b` → `c` (noops that pass values on) beside a root `nap` that waits 30 s. */
export const chain = {
  id: 'chain',
  outputs: { c: '{% $nodes.c.output %}' },
  nodes: {
    a: { type: 'noop', with: { from: 'a' } },
    nap: { type: 'wait', with: { seconds: 30 } },
    b: { type: 'noop', needs: ['a'], with: { from: 'b' } },
    c: {
      type: 'noop',
      needs: ['b'],
      with: { from: '{% $nodes.a.output.from & "+" & $nodes.b.output.from %}' },
    },
  },
};

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
