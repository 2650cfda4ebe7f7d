import { itemIdOf, parseItemId } from '../domain/map-items.ts';
import type { NodeRecord, RunRecord } from '../ports/run-store.ts';
import { type EngineContext, TERMINAL_RUN } from './context.ts';
import { countDone } from './done-count.ts';
import type { Plan } from './plan.ts';

/** Lanes per done-set shard when counting the lanes that ended. */
const LANES_PER_SHARD = 64;

/**
 * What a map's items gave, in index order, handed to the `map` kind when the last lane ends
 * (`ctx.completion.output`): each item's status, and its output or error.
 */
export interface ItemResult {
  readonly status: string;
  readonly output?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Sends the first item of each lane of the map's round (again, after a crash: a redelivery of the
 * message that made the map wait), or wakes the map at once when its round has nothing to run.
 * Duplicates are harmless: an item's claim is conditional.
 */
export async function startLanes(cx: EngineContext, run: RunRecord, plan: Plan, map: NodeRecord) {
  if (map.mapRound === undefined) return;
  if (map.mapLanes === 0) {
    await wakeMap(cx, run, plan, map.nodeId, map.mapRound);
    return;
  }
  const seeded = (await cx.runs.listItems(run.runId, map.nodeId)).filter(
    (item) => item.seededBy === map.mapRound,
  );
  const followers = new Set(seeded.map((item) => item.next));
  const heads = seeded.filter((item) => {
    const index = parseItemId(item.nodeId)?.index;
    return item.status === undefined && index !== undefined && !followers.has(index);
  });
  await cx.enqueue(
    heads.map((item) => ({ runId: run.runId, nodeId: item.nodeId, epoch: run.epoch })),
    plan,
  );
}

/**
 * What follows an item's terminal write (redone after a crash like any node's release): the next
 * item of its lane is sent; or, when the lane has no next item (or the item was cancelled, or the
 * run has ended), the lane is counted as ended, and the count that completes the round wakes the
 * map. An item's failure does not fail the run: its map decides (`continueOnError`).
 */
export async function releaseItem(cx: EngineContext, run: RunRecord, plan: Plan, item: NodeRecord) {
  const parsed = parseItemId(item.nodeId);
  if (!parsed || item.seededBy === undefined || item.lane === undefined || item.lanes === undefined) return;
  const goesOn = item.status !== 'CANCELLED' && !TERMINAL_RUN.includes(run.status);
  if (goesOn && item.next !== undefined) {
    const next = itemIdOf(parsed.mapId, item.next);
    await cx.enqueue([{ runId: run.runId, nodeId: next, epoch: run.epoch }], plan);
    return;
  }
  const shard = Math.floor(item.lane / LANES_PER_SHARD);
  const slot = {
    shard,
    member: item.lane,
    shardSize: Math.min(LANES_PER_SHARD, item.lanes - shard * LANES_PER_SHARD),
  };
  const shards = Math.ceil(item.lanes / LANES_PER_SHARD);
  const prefix = `${run.epoch}#m#${parsed.mapId}#${item.seededBy}`;
  if (await countDone(cx, run, prefix, slot, shards)) {
    await wakeMap(cx, run, plan, parsed.mapId, item.seededBy);
  }
}

/**
 * Wakes a map whose round ended, once: a completion marker and `wakeAt = now` under the map's
 * status, fence and epoch as read, with a fence bump (as a child run's end wakes its `workflow`
 * node), then a message. Nothing lands on a map that no longer waits for this round.
 */
export async function wakeMap(cx: EngineContext, run: RunRecord, plan: Plan, mapId: string, round: number) {
  const map = await cx.runs.getNode(run.runId, mapId);
  if (
    !map ||
    (map.status !== 'WAITING' && map.status !== 'PARKED') ||
    map.mapRound !== round ||
    map.completion !== undefined ||
    (map.epoch ?? 0) !== run.epoch
  ) {
    return;
  }
  const written = await cx.runs.updateNode(
    run.runId,
    mapId,
    { status: [map.status], fence: map.fence, epoch: run.epoch },
    { set: { completion: { output: null }, wakeAt: cx.iso() }, bumpFence: true },
    run.expiresAt,
  );
  if (written) await cx.enqueue([{ runId: run.runId, nodeId: mapId, epoch: run.epoch }], plan);
}

/**
 * The results of a woken map's items, in index order (`mapTotal` of them): read once, when the
 * map settles. An item that never ran (its lane was cut short) is `NOT_RUN`.
 */
export async function itemResults(cx: EngineContext, map: NodeRecord): Promise<ItemResult[]> {
  const total = map.mapTotal ?? 0;
  const results: ItemResult[] = Array.from({ length: total }, () => ({ status: 'NOT_RUN' }));
  for (const item of await cx.runs.listItems(map.runId, map.nodeId)) {
    const index = parseItemId(item.nodeId)?.index;
    if (index === undefined || index >= total || item.status === undefined) continue;
    results[index] = {
      status: item.status,
      ...(item.status === 'SUCCEEDED' ? { output: item.output ?? null } : {}),
      ...(item.error ? { error: { code: item.error.code, message: item.error.message } } : {}),
    };
  }
  return results;
}
