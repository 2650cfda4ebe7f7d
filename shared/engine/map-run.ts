import { itemIdOf, parseItemId } from '../domain/map-items.ts';
import type { NodeRecord, RunRecord } from '../ports/run-store.ts';
import { type EngineContext, TERMINAL_NODE, TERMINAL_RUN } from './context.ts';
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

/**
 * The sweeper's net under a lost item message (a quiet run, read node by node): for each map of
 * `nodes` waiting for its items, the items of its round that should be running but show no sign
 * of it are sent again — a lane's next item that was never claimed, an item READY, PARKED (a
 * resume that crashed), RUNNING past its lease, or due to wake — and a lane whose last item ended
 * is counted again (a release that crashed). Each re-send is checked by the item's claim. One
 * eventually consistent read of the map's items, only for maps of quiet runs. Returns how many
 * items it sent.
 */
export async function recoverItems(
  cx: EngineContext,
  run: RunRecord,
  plan: Plan,
  nodes: readonly NodeRecord[],
  quietSince: string,
): Promise<number> {
  let sent = 0;
  const now = cx.iso();
  for (const map of nodes) {
    if (map.mapRound === undefined || map.status !== 'WAITING' || map.completion !== undefined) continue;
    if ((map.epoch ?? 0) !== run.epoch) continue;
    const items = (await cx.runs.listItems(run.runId, map.nodeId, { consistent: false })).filter(
      (item) => item.seededBy === map.mapRound,
    );
    const byIndex = new Map(items.map((item) => [parseItemId(item.nodeId)?.index, item]));
    const after = new Map<number, NodeRecord>();
    for (const item of items) if (item.next !== undefined) after.set(item.next, item);
    const resend: string[] = [];
    for (const item of items) {
      const index = parseItemId(item.nodeId)?.index ?? -1;
      const before = after.get(index);
      const { status } = item;
      if (status !== undefined && TERMINAL_NODE.has(status)) {
        if (item.next === undefined || !byIndex.has(item.next)) await releaseItem(cx, run, plan, item);
        continue;
      }
      const launched = before === undefined || TERMINAL_NODE.has(before.status);
      const overdue =
        (status === undefined && launched) ||
        status === 'READY' ||
        status === 'PARKED' ||
        (status === 'RUNNING' && item.leaseUntil !== undefined && item.leaseUntil < now) ||
        ((status === 'RETRY_WAIT' || status === 'WAITING') &&
          item.wakeAt !== undefined &&
          item.wakeAt < quietSince);
      if (overdue) resend.push(item.nodeId);
    }
    await cx.enqueue(
      resend.map((nodeId) => ({ runId: run.runId, nodeId, epoch: run.epoch })),
      plan,
    );
    sent += resend.length;
  }
  return sent;
}

/**
 * `nodes` and, after them, the items of the latest round of each map among them: what a stop,
 * a pause and a resume go through (a map's items can wait on child runs, callbacks and times
 * like any node). One read of the items per map; none for a run without maps.
 */
export async function withItems(
  cx: EngineContext,
  runId: string,
  nodes: readonly NodeRecord[],
): Promise<NodeRecord[]> {
  const all = [...nodes];
  for (const map of nodes) {
    if (map.mapRound === undefined) continue;
    const items = await cx.runs.listItems(runId, map.nodeId);
    all.push(...items.filter((item) => item.seededBy === map.mapRound));
  }
  return all;
}
