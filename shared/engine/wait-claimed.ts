import type { NodeChange, NodeRecord } from '../ports/run-store.ts';
import type { Claim } from './claim.ts';
import type { EngineContext } from './context.ts';

/**
 * Makes a claimed node WAITING, holding no worker, with `set` (what it waits for: a child run, an
 * outside execution, a map's round), under the claim's fence: until `until`, when a message wakes
 * it (its deadline), or for ever without one. Emits `node.waiting`. Undefined, writing nothing,
 * when the lease was taken over (the other worker's wait counts).
 */
export async function waitClaimed(
  cx: EngineContext,
  claim: Claim,
  set: NonNullable<NodeChange['set']>,
  until: number | undefined,
): Promise<NodeRecord | undefined> {
  const { run, node, message, plan } = claim;
  const waiting = await cx.runs.updateNode(
    run.runId,
    node.nodeId,
    { status: ['RUNNING'], fence: node.fence, epoch: run.epoch },
    {
      set: {
        ...set,
        status: 'WAITING',
        token: message.token,
        ...(until === undefined ? {} : { wakeAt: cx.iso(until) }),
      },
      remove: [
        'leaseUntil',
        'spawnKey',
        'completion',
        'error',
        ...(until === undefined ? (['wakeAt'] as const) : []),
      ],
    },
    run.expiresAt,
  );
  if (!waiting) return undefined;
  if (until !== undefined) {
    const wake = { runId: run.runId, nodeId: node.nodeId, token: cx.newToken(), epoch: run.epoch };
    await cx.enqueueAt(wake, until, plan);
  }
  cx.emit({ type: 'node.waiting', runId: run.runId, nodeId: node.nodeId, attempt: node.attempt });
  return waiting;
}
