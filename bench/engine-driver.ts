// Runs workflows on the real engine with a real clock, counting every store and queue request,
// for the engine benchmark (`bench/engine.bench.ts`).
import { performance } from 'node:perf_hooks';
import { MemoryDefinitionStore } from '../shared/adapters/memory/definition-store.ts';
import { MemoryQueue } from '../shared/adapters/memory/queue.ts';
import { QueueRelayTimer } from '../shared/adapters/memory/queue-relay-timer.ts';
import { SandboxPool } from '../shared/adapters/sandbox/sandbox-pool.ts';
import { BatchReads } from '../shared/engine/batch-reads.ts';
import type { EngineEvent } from '../shared/engine/context.ts';
import { publishDefinition } from '../shared/engine/publish-definition.ts';
import { RunEngine } from '../shared/engine/run-engine.ts';
import { defaultExecutors } from '../shared/executors/registry.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { randomIds } from '../shared/ports/ids.ts';
import type { Queue, ReceivedMessage } from '../shared/ports/queue.ts';
import type { RunStore } from '../shared/ports/run-store.ts';

/** SQS requests as Lambda + SQS would make them: sends are batched by the engine, receives and deletes by the event source mapping. */
export interface QueueCounts {
  sendRequests: number;
  messagesSent: number;
  receiveRequests: number;
  deleteRequests: number;
  /** Worker invocations: one per non-empty batch (a Lambda invocation). */
  batches: number;
}

/** Wraps a queue, counting requests. */
export function countingQueue(queue: Queue): { queue: Queue; counts: QueueCounts } {
  const counts: QueueCounts = {
    sendRequests: 0,
    messagesSent: 0,
    receiveRequests: 0,
    deleteRequests: 0,
    batches: 0,
  };
  const wrapped: Queue = {
    send: async (messages) => {
      counts.sendRequests += Math.ceil(messages.length / 10);
      counts.messagesSent += messages.length;
      await queue.send(messages);
    },
    receive: (options) => queue.receive(options),
    delete: (receipt) => queue.delete(receipt),
    changeVisibility: (receipt, seconds) => queue.changeVisibility(receipt, seconds),
  };
  return { queue: wrapped, counts };
}

/**
 * Handles one received batch and settles it (deletes what is done): by default each message
 * through `engine.handleMessage`; the all-in benchmark passes the Lambda worker handler instead.
 */
export type DeliverBatch = (
  engine: RunEngine,
  queue: Queue,
  batch: readonly ReceivedMessage[],
) => Promise<void>;

export interface EngineBenchOptions {
  /** How a batch is handled. @default engine.handleMessage per message */
  readonly deliver?: DeliverBatch;
  /** Also told of every engine event (the AWS composition logs some). */
  readonly observer?: (event: EngineEvent) => void;
  /** The queue the engine sends to and the pollers receive from. @default a MemoryQueue (visibility 120 s) */
  readonly queue?: Queue;
}

export interface EngineBench {
  readonly engine: RunEngine;
  /** Where `publish` puts definitions (another engine on the same store reads them here). */
  readonly definitions: MemoryDefinitionStore;
  readonly counts: QueueCounts;
  publish(definition: { id: string; version: string }): Promise<void>;
  /** Starts a run and resolves with its duration in ms once it has ended. */
  runToEnd(workflow: string): Promise<{ ms: number; status: string; runId: string }>;
  stop(): Promise<void>;
}

/**
 * An engine on `runs` with an in-process queue and `workers` concurrent pollers (each handling a
 * batch of up to 10 messages concurrently, like a Lambda worker).
 */
export function engineBench(runs: RunStore, workers = 8, options: EngineBenchOptions = {}): EngineBench {
  const memoryQueue = options.queue ?? new MemoryQueue({ clock: systemClock, visibilitySeconds: 120 });
  const { queue, counts } = countingQueue(memoryQueue);
  const definitions = new MemoryDefinitionStore();
  const waiting = new Map<string, (status: string) => void>();
  const ended = new Map<string, string>();
  const sandbox = new SandboxPool();
  const engine = new RunEngine({
    runs,
    definitions,
    queue,
    timer: new QueueRelayTimer(queue, systemClock),
    clock: systemClock,
    ids: randomIds,
    executors: defaultExecutors({ script: { sandbox } }),
    sandbox,
    random: Math.random,
    observer: (event) => {
      options.observer?.(event);
      if (!event.type.startsWith('run.') || event.type === 'run.started') return;
      ended.set(event.runId, event.type);
      waiting.get(event.runId)?.(event.type);
    },
  });
  const deliver: DeliverBatch =
    options.deliver ??
    (async (_engine, _queue, batch) => {
      const reads = new BatchReads();
      await Promise.all(
        batch.map(async (message) => {
          const result = await engine.handleMessage(message.body, { reads });
          if (result.kind === 'done') await memoryQueue.delete(message.receipt);
        }),
      );
    });
  let stopped = false;
  let wake: (() => void) | undefined;
  const idle = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 2);
    });
  const poll = async () => {
    while (!stopped) {
      counts.receiveRequests += 1;
      const batch = await memoryQueue.receive({ max: 10 });
      if (batch.length === 0) {
        counts.receiveRequests -= 1; // an idle in-process poll is not a billed long poll
        await idle();
        continue;
      }
      counts.batches += 1;
      await deliver(engine, queue, batch);
      counts.deleteRequests += 1;
    }
  };
  const pollers = Array.from({ length: workers }, poll);
  return {
    engine,
    definitions,
    counts,
    publish: async (definition) => {
      await publishDefinition(
        { definitions, clock: systemClock },
        { tenant: 'bench', workflowId: definition.id, version: definition.version, body: definition },
      );
    },
    runToEnd: async (workflow) => {
      const started = performance.now();
      const { run } = await engine.startRun({ tenant: 'bench', workflow });
      wake?.();
      const status =
        ended.get(run.runId) ?? (await new Promise<string>((resolve) => waiting.set(run.runId, resolve)));
      waiting.delete(run.runId);
      ended.delete(run.runId);
      return { ms: performance.now() - started, status, runId: run.runId };
    },
    stop: async () => {
      stopped = true;
      await Promise.all(pollers);
      await sandbox.close();
    },
  };
}
