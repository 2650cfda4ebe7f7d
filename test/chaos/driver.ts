/**
 * One chaos run: a random workflow driven through the real engine on a given run store while
 * faults are injected — crashes before and after store writes and queue sends, duplicated, twin
 * (concurrent), delayed and lost deliveries, reordered batches, lease takeovers while a node still
 * runs, and pause/resume/cancel/retry and sweeper passes racing the workers. Then the run is
 * settled (no faults: resumed, retried after a stop, swept until nothing moves) and judged by the
 * oracles of `reference.ts` and by what the store applied.
 */

import { SkeinError } from '../../shared/domain/problems.ts';
import { BatchReads } from '../../shared/engine/batch-reads.ts';
import { flowExecutors } from '../../shared/executors/flow.ts';
import { ScriptExecutor } from '../../shared/executors/script.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../shared/ports/executor.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import type { ReceivedMessage } from '../../shared/ports/queue.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { type ChaosWorkflow, definitionOf, MAX_ATTEMPTS } from './generate.ts';
import { type Observations, observedStore } from './observe.ts';
import { inconsistencies, referenceRun } from './reference.ts';

export class ChaosCrash extends Error {
  constructor(where: string) {
    super(`chaos crash ${where}`);
    this.name = 'ChaosCrash';
  }
}

export interface ChaosOptions {
  /** Chance of a crash before, and after, each store write and queue send. @default 0.02 */
  readonly crashRate?: number;
  /** Chance per batch of a control (pause, resume, cancel, retry, sweep) racing it. @default 0.08 */
  readonly controlRate?: number;
  readonly maxDeliveries?: number;
}

export interface ChaosResult {
  readonly workflow: string;
  readonly nodes: number;
  readonly status: string;
  readonly expected: string;
  readonly violations: readonly string[];
  readonly stats: Observations['stats'] & { deliveries: number; controls: number; crashes: number };
}

const MINUTE = 60_000;

/** `noop` nodes of the chaos workflows: k + s, failing transiently or for good as told. */
class ChaosProbe implements Executor {
  readonly type = 'noop';
  takeover?: (request: ExecutionRequest<unknown>) => Promise<unknown> | undefined;
  /** Judges the moment of execution: every parent must have ended. */
  check?: (request: ExecutionRequest<unknown>) => Promise<void>;
  readonly attempts = new Map<string, number>();
  async execute(request: ExecutionRequest<unknown>): Promise<ExecutionResult> {
    const { nodeId, attempt } = request.ctx;
    this.attempts.set(nodeId, Math.max(this.attempts.get(nodeId) ?? 0, attempt));
    await this.check?.(request);
    const inputs = request.inputs as { k: number; s: number; t: number };
    const rival = this.takeover?.(request);
    if (rival !== undefined) await rival; // another worker took the node over meanwhile; this one still writes
    if ((request.node as { description?: string }).description === 'perm') {
      return { kind: 'failed', error: { code: 'PERMANENT', message: 'fails for good', retryable: false } };
    }
    if (attempt <= inputs.t)
      return { kind: 'failed', error: { code: 'TRANSIENT', message: 'try again', retryable: true } };
    return { kind: 'succeeded', output: inputs.k + inputs.s };
  }
}

export async function chaosRun(
  workflow: ChaosWorkflow,
  random: () => number,
  makeStore: () => RunStore | Promise<RunStore>,
  options: ChaosOptions = {},
  idPrefix = 'c',
): Promise<ChaosResult> {
  const crashRate = options.crashRate ?? 0.02;
  const controlRate = options.controlRate ?? 0.08;
  let faults = true;
  let crashes = 0;
  const maybeCrash = (where: string) => {
    if (faults && random() < crashRate) {
      crashes += 1;
      throw new ChaosCrash(where);
    }
  };
  const jitter = async () => {
    if (!faults || random() >= 0.3) return;
    // Now and then a very slow one: long enough for a cancel and a retry to pass it.
    const turns = random() < 0.05 ? 20 + Math.floor(random() * 200) : 1 + Math.floor(random() * 3);
    for (let turn = 0; turn < turns; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  const raw = await makeStore();
  const observed = observedStore(raw, maybeCrash, jitter);
  const probe = new ChaosProbe();
  const clock = new FakeClock(Date.UTC(2100, 0, 1)); // DynamoDB Local's TTL follows the real clock
  const harness = new WorkflowHarness({
    runs: observed.store,
    clock,
    ids: sequentialIds(idPrefix),
    executors: flowExecutors().register(probe).register(new ScriptExecutor()),
    random,
  });
  const send = harness.queue.send.bind(harness.queue);
  harness.queue.send = async (messages) => {
    maybeCrash('before a send');
    await send(messages);
    maybeCrash('after a send');
  };
  await harness.publish(definitionOf(workflow));
  faults = false;
  const runId = await harness.start(workflow.id);
  faults = true;
  const violations: string[] = [];
  const settleNote = (note: string) => violations.push(note);

  const handle = async (body: string, reads?: BatchReads) => {
    try {
      return await harness.engine.handleMessage(body, reads ? { reads } : {});
    } catch (error) {
      if (error instanceof ChaosCrash) return undefined;
      throw error;
    }
  };
  const parentsOf = new Map(workflow.nodes.map((node) => [node.id, node.parents]));
  probe.check = async (request) => {
    const parents = parentsOf.get(request.ctx.nodeId) ?? [];
    if (parents.length === 0) return;
    const items = await raw.getNodes(request.ctx.runId, parents);
    for (const parent of parents) {
      const status = items.find((item) => item.nodeId === parent)?.status;
      if (!['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'].includes(status ?? '')) {
        violations.push(
          `${request.ctx.nodeId} ran (attempt ${request.ctx.attempt}) while its parent ${parent} was ${status ?? 'not started'}`,
        );
      }
    }
  };
  probe.takeover = (request) => {
    if (!faults || random() >= 0.03) return undefined;
    // The lease runs out while this attempt still runs; a redelivery takes the node over.
    clock.advance(10 * MINUTE);
    return (async () => {
      const run = await harness.runs.getRun(request.ctx.runId);
      const body = JSON.stringify({
        r: request.ctx.runId,
        n: request.ctx.nodeId,
        t: `takeover-${random()}`,
        ...(run?.epoch ? { e: run.epoch } : {}),
      });
      await handle(body);
    })();
  };
  let controls = 0;
  const control = async () => {
    controls += 1;
    const choice = random();
    const names = workflow.nodes.filter(() => random() < 0.2).map((node) => node.id);
    try {
      if (choice < 0.2) await harness.engine.pause(TENANT, runId);
      else if (choice < 0.4) await harness.engine.resume(TENANT, runId);
      else if (choice < 0.6) await harness.engine.cancel(TENANT, runId);
      else if (choice < 0.8)
        await harness.engine.retry(TENANT, runId, names.length > 0 && random() < 0.5 ? names : undefined);
      else {
        clock.advance(Math.floor(random() * 12 * MINUTE));
        await harness.engine.sweep();
      }
    } catch (error) {
      if (!(error instanceof SkeinError) && !(error instanceof ChaosCrash)) throw error;
    }
  };
  // The messages of one batch share their run reads, as the workers' do.
  const deliver = async (message: ReceivedMessage, reads: BatchReads) => {
    const roll = random();
    if (roll < 0.07) return; // delayed: it comes back after the visibility timeout
    if (roll < 0.08) {
      await harness.queue.delete(message.receipt); // lost for good
      return;
    }
    if (roll < 0.16) await send([{ body: message.body }]); // duplicated
    const results = await Promise.all(
      roll < 0.21
        ? [handle(message.body, reads), handle(message.body, reads)]
        : [handle(message.body, reads)],
    );
    const result = results[0];
    if (result?.kind === 'done') await harness.queue.delete(message.receipt);
    else if (result?.kind === 'retry')
      await harness.queue.changeVisibility(message.receipt, result.afterSeconds);
  };

  let deliveries = 0;
  const maxDeliveries = options.maxDeliveries ?? 20_000;
  const drain = async () => {
    for (;;) {
      if (deliveries > maxDeliveries) throw new Error(`no end after ${maxDeliveries} deliveries`);
      const batch = await harness.queue.receive({ max: 10 });
      if (batch.length === 0) {
        const next = harness.queue.nextVisibleAt();
        if (next === undefined) return;
        clock.set(Math.max(clock.now(), next));
        continue;
      }
      for (let i = batch.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [batch[i], batch[j]] = [batch[j] as ReceivedMessage, batch[i] as ReceivedMessage];
      }
      deliveries += batch.length;
      const racing = faults && random() < controlRate ? [control()] : [];
      const reads = new BatchReads();
      await Promise.all([...batch.map((message) => deliver(message, reads)), ...racing]);
    }
  };

  try {
    await drain();
    faults = false;
    await settle(harness, runId, drain, settleNote);
  } catch (error) {
    violations.push(`driver: ${(error as Error).message}`);
  }

  const expected = referenceRun(workflow);
  const view = await harness.view(runId);
  const status = view.status;
  if (status !== expected.status) violations.push(`run is ${status}, the reference says ${expected.status}`);
  if (view.control) violations.push(`a ${view.control.action} is still pending`);
  const open = Object.entries(view.nodes).filter(
    ([, node]) => !['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'].includes(node.status),
  );
  for (const [id, node] of open) violations.push(`${id} is stuck ${node.status}`);
  violations.push(...inconsistencies(workflow, view.nodes));
  if (expected.status === 'SUCCEEDED' && status === 'SUCCEEDED') {
    for (const [id, want] of Object.entries(expected.nodes)) {
      const got = view.nodes[id];
      if (got?.status !== want.status)
        violations.push(`${id} is ${got?.status}, the reference says ${want.status}`);
    }
    if (JSON.stringify(sorted(view.outputs)) !== JSON.stringify(sorted(expected.outputs))) {
      violations.push(
        `outputs ${JSON.stringify(view.outputs)} differ from the reference ${JSON.stringify(expected.outputs)}`,
      );
    }
  }
  for (const [id, attempt] of probe.attempts) {
    if (attempt > MAX_ATTEMPTS + observed.stats.retries)
      violations.push(`${id} ran attempt ${attempt}, beyond its policy`);
  }
  violations.push(...observed.violations);
  if (violations.length > 0) {
    const nodes = Object.entries(view.nodes).map(
      ([id, node]) => `${id}:${node.status}${node.reason ? `(${node.reason})` : ''}`,
    );
    violations.push(`history ${observed.history.join(' → ')}; nodes ${nodes.join(' ')}`);
  }
  return {
    workflow: workflow.id,
    nodes: workflow.nodes.length,
    status,
    expected: expected.status,
    violations,
    stats: { ...observed.stats, deliveries, controls, crashes },
  };
}

/** Without faults: resume, retry a stopped run, and sweep with the clock moving until nothing moves. */
async function settle(
  harness: WorkflowHarness,
  runId: string,
  drain: () => Promise<void>,
  note: (text: string) => void,
) {
  for (let round = 0; round < 24; round += 1) {
    await drain();
    const run = await harness.engine.getRunRecord(TENANT, runId);
    if (!run.control && (run.status === 'SUCCEEDED' || run.status === 'FAILED')) return;
    if (run.status === 'PAUSED') await harness.engine.resume(TENANT, runId);
    else if (!run.control && (run.status === 'CANCELLED' || run.status === 'TIMED_OUT')) {
      await harness.engine.retry(TENANT, runId).catch((error: unknown) => {
        // A node of the stopped run still RUNNING: its lease must run out first (the clock moves on).
        if (!(error instanceof SkeinError && error.kind === 'conflict')) throw error;
        harness.clock.advance(11 * MINUTE);
      });
    } else {
      // Lost messages are re-sent once the run has been idle for 10 minutes, twice as long each time.
      harness.clock.advance(11 * MINUTE * 2 ** Math.min(round, 8));
      await harness.engine.sweep();
    }
  }
  note('the run did not settle: still moving after 24 rounds');
}

function sorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));
}
