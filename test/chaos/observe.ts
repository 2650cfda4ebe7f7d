/**
 * A run store seen from outside: it injects crashes before and after every write and judges the
 * writes the store applied — a node completes at most once per epoch, a run ends at most once per
 * epoch, and no node is claimed in an epoch after the run ended in it (a normal end, or a stop
 * whose marking has finished).
 */
import type { RunStore } from '../../shared/ports/run-store.ts';
import { RUN_STORE_WRITES } from '../faults/fault-driver.ts';

const WRITES = RUN_STORE_WRITES;
const READS = ['getRun', 'getNode', 'getNodes', 'listNodes'] as const;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED']);

export interface Observations {
  readonly store: RunStore;
  readonly violations: string[];
  readonly stats: { writes: number; completions: number; claims: number; runEnds: number; retries: number };
  /** The run's status changes as applied (for the report of a failed run). */
  readonly history: string[];
}

/**
 * `jitter` runs before every call: it lets other work run first (the driver yields a random number
 * of macrotask turns), so a read and the write decided from it can be far apart, as on a network.
 */
export function observedStore(
  store: RunStore,
  maybeCrash: (where: string) => void,
  jitter: () => Promise<void> = async () => undefined,
): Observations {
  const violations: string[] = [];
  const history: string[] = [];
  const stats = { writes: 0, completions: 0, claims: 0, runEnds: 0, retries: 0 };
  const completions = new Map<string, number>();
  const ends = new Map<number, number>();
  const closed = new Set<number>();
  const proxy: RunStore = Object.create(store);
  const target = proxy as unknown as Record<string, unknown>;
  for (const method of WRITES) {
    const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
    target[method] = async (...args: unknown[]) => {
      await jitter();
      maybeCrash(`before ${method}`);
      const result = await original(...args);
      stats.writes += 1;
      if (method === 'updateNode' && result) observeNode(args, result as { epoch?: number });
      // The claim: the item after the write when it applied.
      const tried = result as { applied?: boolean; node?: { epoch?: number } };
      if (method === 'tryUpdateNode' && tried.applied && tried.node) observeNode(args, tried.node);
      if (method === 'updateRun' && result) observeRun(args, result as { epoch: number; status: string });
      maybeCrash(`after ${method}`);
      return result;
    };
  }

  for (const method of READS) {
    const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
    target[method] = async (...args: unknown[]) => {
      const result = await original(...args);
      await jitter(); // the reader acts on what it read a while later
      return result;
    };
  }

  function observeNode(args: unknown[], node: { epoch?: number }) {
    const nodeId = args[1] as string;
    const status = (args[3] as { set?: { status?: string } }).set?.status;
    const epoch = node.epoch ?? 0;
    if (status === 'RUNNING') {
      stats.claims += 1;
      if (closed.has(epoch))
        violations.push(`${nodeId} was claimed in epoch ${epoch} after the run had ended in it`);
    }
    if (status !== undefined && TERMINAL.has(status)) {
      stats.completions += 1;
      const key = `${nodeId}@${epoch}`;
      const count = (completions.get(key) ?? 0) + 1;
      completions.set(key, count);
      if (count === 2) violations.push(`${nodeId} completed twice in epoch ${epoch}`);
    }
  }

  function observeRun(args: unknown[], run: { epoch: number; status: string }) {
    const change = args[2] as {
      endedAt?: string;
      remove?: string[];
      control?: { action: string };
      status?: string;
    };
    if (change.status !== undefined && history.at(-1) !== `${change.status}@${run.epoch}`) {
      history.push(`${change.status}@${run.epoch}`);
    }
    if (change.control?.action === 'retry' && change.status === 'QUEUED') stats.retries += 1;
    if (change.endedAt !== undefined) {
      stats.runEnds += 1;
      const count = (ends.get(run.epoch) ?? 0) + 1;
      ends.set(run.epoch, count);
      if (count === 2) violations.push(`the run ended twice in epoch ${run.epoch}`);
      if (run.status === 'SUCCEEDED' || run.status === 'FAILED') closed.add(run.epoch);
    }
    // A stop is closed once its marking is done and its control is cleared.
    if (change.remove?.includes('control') && (run.status === 'CANCELLED' || run.status === 'TIMED_OUT')) {
      closed.add(run.epoch);
    }
  }

  return { store: proxy, violations, stats, history };
}
