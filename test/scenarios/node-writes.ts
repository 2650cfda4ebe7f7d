import type { NodeChange, NodeCondition, NodeRecord, RunStore } from '../../shared/ports/run-store.ts';

/** One conditional node write, as the engine asked for it. */
export interface NodeWrite {
  readonly runId: string;
  readonly nodeId: string;
  readonly when: NodeCondition;
  readonly change: NodeChange;
  readonly expiresAt: number;
}

export interface NodeWriteHooks {
  /** Before the write reaches the store: may wait (a slow worker) or throw (a crash before it). */
  readonly before?: (write: NodeWrite) => void | Promise<void>;
  /**
   * After the store answered, with the item after the write (undefined: the condition failed).
   * May throw (a crash after the write).
   */
  readonly after?: (write: NodeWrite, node: NodeRecord | undefined) => void | Promise<void>;
}

/**
 * Hooks every conditional node write whichever method makes it: the claim goes through
 * `tryUpdateNode` (a lost claim learns the node's state from its own write), the other writes
 * through `updateNode`. Replaces both methods on `store` (the harness's store, or a proxy made
 * with `Object.create(target)`) with calls through to `target`'s.
 * @example hookNodeWrites(harness.runs, { after: (write, node) => node && seen.push(write.nodeId) })
 */
export function hookNodeWrites(store: RunStore, hooks: NodeWriteHooks, target: RunStore = store): void {
  const updateNode = target.updateNode.bind(target);
  const tryUpdateNode = target.tryUpdateNode.bind(target);
  store.updateNode = async (runId, nodeId, when, change, expiresAt) => {
    const write = { runId, nodeId, when, change, expiresAt };
    await hooks.before?.(write);
    const node = await updateNode(runId, nodeId, when, change, expiresAt);
    await hooks.after?.(write, node);
    return node;
  };
  store.tryUpdateNode = async (runId, nodeId, when, change, expiresAt) => {
    const write = { runId, nodeId, when, change, expiresAt };
    await hooks.before?.(write);
    const result = await tryUpdateNode(runId, nodeId, when, change, expiresAt);
    await hooks.after?.(write, result.applied ? result.node : undefined);
    return result;
  };
}
