import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.ts';
import { itemIdOf, parseItemId } from '../domain/map-items.ts';
import type { NodeRecord } from '../ports/run-store.ts';
import type { Claim } from './claim.ts';
import type { EngineContext } from './context.ts';
import { wakeMap } from './map-run.ts';
import { DONE, type StepResult } from './node-finish.ts';
import type { SpawnedItem } from './node-result.ts';
import { waitClaimed } from './wait-claimed.ts';

/** Items seeded at once while a map starts (each one conditional UpdateItem). */
const SEED_CONCURRENCY = 32;

/**
 * Starts a round of a `map` node's items, holding no worker while they run. The items run in
 * `lanes` = min(`maxConcurrency`, items to run) lanes: the item at position p of the round runs
 * after the one at p - lanes ends, so at most `lanes` items ever run at once, however often a
 * message is delivered (each item's claim is conditional). Every item is a node item of its own
 * (`<map>[<index>]`), seeded first with its value, its lane and the index that follows it in its
 * lane: releasing an item costs one message and no read, and no item or message grows with the
 * list. An item that succeeded with the same value in an earlier round (a retry of the map, or of
 * the run) is kept, not run again. The seeding is fenced by the map's own claim (`mapRound`), so a
 * worker that lost the map to a takeover cannot reset an item the new round runs. Then the map is
 * WAITING, and the first item of each lane is sent; the lane's last item counts the lane in a
 * done-set, and the count that completes it wakes the map.
 */
export async function spawnItems(
  cx: EngineContext,
  claim: Claim,
  items: readonly SpawnedItem[],
  maxConcurrency: number,
  until: number | undefined,
): Promise<StepResult> {
  const { run, plan, node } = claim;
  const round = node.fence;
  const earlier = new Map<number, NodeRecord>();
  for (const item of await cx.runs.listItems(run.runId, node.nodeId)) {
    const index = parseItemId(item.nodeId)?.index;
    if (index !== undefined) earlier.set(index, item);
  }
  const toRun = items
    .map((item) => ({ ...item, hash: hashItem(item.item) }))
    .filter(({ index, hash }) => {
      const before = earlier.get(index);
      return !(before?.status === 'SUCCEEDED' && before.itemHash === hash);
    });
  const lanes = Math.min(Math.max(1, maxConcurrency), toRun.length);
  const seeds = toRun.map((item, position) => () => {
    const next = toRun[position + lanes]?.index;
    return cx.runs.seedItem(
      run.runId,
      itemIdOf(node.nodeId, item.index),
      {
        item: item.item,
        itemHash: item.hash,
        lane: position % lanes,
        lanes,
        ...(next === undefined ? {} : { next }),
        seededBy: round,
        epoch: run.epoch,
      },
      run.expiresAt,
    );
  });
  await inBatches(seeds, SEED_CONCURRENCY);
  const waiting = await waitClaimed(
    cx,
    claim,
    { mapRound: round, mapTotal: items.length, mapLanes: lanes },
    until,
  );
  if (!waiting) return DONE; // the lease was taken over: the new claim seeds its own round
  if (lanes === 0) {
    await wakeMap(cx, run, plan, node.nodeId, round);
    return DONE;
  }
  // The first item of each lane; a redelivery after a crash finds them again (`startLanes`).
  const heads = toRun.slice(0, lanes).map((item) => ({
    runId: run.runId,
    nodeId: itemIdOf(node.nodeId, item.index),
    epoch: run.epoch,
  }));
  await cx.enqueue(heads, plan);
  return DONE;
}

/** A stable hash of an item's value: an item is kept across rounds only with the same value. */
function hashItem(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value ?? null))
    .digest('base64url')
    .slice(0, 22);
}

async function inBatches(tasks: readonly (() => Promise<unknown>)[], size: number): Promise<void> {
  for (let start = 0; start < tasks.length; start += size) {
    await Promise.all(tasks.slice(start, start + size).map((task) => task()));
  }
}
