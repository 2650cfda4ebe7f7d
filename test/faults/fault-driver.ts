import type { ReceivedMessage } from '../../shared/ports/queue.ts';
import { RUN_STORE_WRITES, type RunStore } from '../../shared/ports/run-store.ts';
import type { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { hookNodeWrites, type NodeWrite } from '../scenarios/node-writes.ts';

/** Every RunStore method that writes: what the fault wrappers count and crash around. */
export { RUN_STORE_WRITES };

/** A crash injected into the engine: the worker "dies" with this error, leaving its message undeleted. */
export class InjectedCrash extends Error {
  constructor(where: string) {
    super(`injected crash ${where}`);
    this.name = 'InjectedCrash';
  }
}

export interface DriveOptions {
  /** Called per delivery: deliver twice, skip (redelivered after the visibility timeout) or handle. */
  readonly delivery?: (message: ReceivedMessage, index: number) => 'handle' | 'duplicate' | 'skip';
  /** Shuffle each received batch with this random source (reordering). */
  readonly shuffle?: () => number;
  readonly maxDeliveries?: number;
}

/**
 * Drives a harness's queue like SQS + Lambda would, with faults: a handler that throws leaves its
 * message for redelivery after the visibility timeout, as a crashed Lambda does. Returns how
 * many deliveries crashed.
 */
export async function driveWithFaults(harness: WorkflowHarness, options: DriveOptions = {}): Promise<number> {
  let crashes = 0;
  let deliveries = 0;
  const max = options.maxDeliveries ?? 50_000;
  while (deliveries < max) {
    const batch = await harness.queue.receive({ max: 10 });
    if (batch.length === 0) {
      const next = harness.queue.nextVisibleAt();
      if (next === undefined) return crashes;
      harness.clock.set(Math.max(harness.clock.now(), next));
      continue;
    }
    if (options.shuffle) shuffle(batch, options.shuffle);
    for (const message of batch) {
      deliveries += 1;
      const action = options.delivery?.(message, deliveries) ?? 'handle';
      if (action === 'skip') continue;
      if (action === 'duplicate') await harness.queue.send([{ body: message.body }]);
      try {
        const result = await harness.engine.handleMessage(message.body);
        if (result.kind === 'retry')
          await harness.queue.changeVisibility(message.receipt, result.afterSeconds);
        else await harness.queue.delete(message.receipt);
      } catch (error) {
        if (!(error instanceof InjectedCrash)) throw error;
        crashes += 1;
      }
    }
  }
  throw new Error(`the queue did not drain within ${max} deliveries`);
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}

export type CrashPoint =
  | 'after-claim'
  | 'before-complete'
  | 'after-complete'
  | 'after-first-arrival'
  | 'after-done-count'
  | 'before-send'
  | 'after-failure-record';

/**
 * Wraps a run store so that the first `times` operations matching `point` crash (after or before
 * the write, as named). Every other call passes through.
 */
export function crashingStore(store: RunStore, point: CrashPoint, times = 1): RunStore {
  let left = times;
  const crash = () => {
    if (left <= 0) return false;
    left -= 1;
    return true;
  };
  const proxy: RunStore = Object.create(store);
  const terminal = ({ change }: NodeWrite) =>
    change.set?.status === 'SUCCEEDED' || change.set?.status === 'FAILED' || change.set?.status === 'SKIPPED';
  // The claim and the other node writes go through different methods: hook both.
  hookNodeWrites(
    proxy,
    {
      before: (write) => {
        if (point === 'before-complete' && terminal(write) && crash())
          throw new InjectedCrash(`before completing ${write.nodeId}`);
      },
      after: (write, node) => {
        if (node && point === 'after-claim' && write.change.set?.status === 'RUNNING' && crash()) {
          throw new InjectedCrash(`after claiming ${write.nodeId}`);
        }
        if (node && point === 'after-complete' && terminal(write) && crash()) {
          throw new InjectedCrash(`after completing ${write.nodeId}`);
        }
      },
    },
    store,
  );
  proxy.arrive = async (...args) => {
    const result = await store.arrive(...args);
    if (point === 'after-first-arrival' && result.applied && crash())
      throw new InjectedCrash('after an arrival');
    return result;
  };
  proxy.addDone = async (...args) => {
    const result = await store.addDone(...args);
    if (point === 'after-done-count' && result.applied && crash())
      throw new InjectedCrash('after a sink count');
    return result;
  };
  proxy.recordFailure = async (...args) => {
    await store.recordFailure(...args);
    if (point === 'after-failure-record' && crash()) throw new InjectedCrash('after recording a failure');
  };
  return proxy;
}
