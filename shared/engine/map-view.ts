import { parseItemId } from '../domain/map-items.ts';
import { NotFoundError } from '../domain/problems.ts';
import type { EngineContext } from './context.ts';
import { cursorAt, offsetOf } from './offset-cursor.ts';
import { getOwnRun, type NodeView, nodeView } from './run-view.ts';

/** A map item as the API shows it: its index, its value (`$item`) and its state. */
export interface ItemView extends NodeView {
  readonly index: number;
  readonly item: unknown;
}

/** A page of a map's items, in index order. */
export interface ItemPage {
  /** Items of the map's latest start (0 before it started). */
  readonly total: number;
  readonly items: readonly ItemView[];
  /** Present when more items follow: pass it as `cursor` for the next page. */
  readonly cursor?: string;
}

export interface ItemPageOptions {
  /** @default 100 */
  readonly limit?: number;
  readonly cursor?: string;
}

const DEFAULT_ITEM_PAGE = 100;

/**
 * A page of the items of map node `nodeId` of a run of `tenant`: one Query of at most `limit`
 * items (plus the run and the map node). 404 when the node is not a map of the run's workflow.
 */
export async function viewItems(
  cx: EngineContext,
  tenant: string,
  runId: string,
  nodeId: string,
  options: ItemPageOptions = {},
): Promise<ItemPage> {
  const run = await getOwnRun(cx, tenant, runId);
  const plan = await cx.planFor(run);
  if (plan.node(nodeId)?.type !== 'map' || parseItemId(nodeId) !== undefined) {
    throw new NotFoundError(`run ${runId} has no map node "${nodeId.slice(0, 100)}"`);
  }
  const map = await cx.runs.getNode(runId, nodeId);
  const total = map?.mapTotal ?? 0;
  const from = options.cursor === undefined ? 0 : offsetOf('items', options.cursor, total);
  const limit = options.limit ?? DEFAULT_ITEM_PAGE;
  const stopped = run.status === 'CANCELLED' || run.status === 'TIMED_OUT';
  const records = from >= total ? [] : await cx.runs.listItems(runId, nodeId, { fromIndex: from, limit });
  const items: ItemView[] = [];
  for (const record of records) {
    const index = parseItemId(record.nodeId)?.index ?? total;
    if (index >= total) continue; // an item of an earlier, longer list
    items.push({ index, item: record.item ?? null, ...nodeView(record, stopped) });
  }
  const last = items.at(-1)?.index;
  const next = last === undefined ? total : last + 1;
  return {
    total,
    items,
    ...(items.length === limit && next < total ? { cursor: cursorAt('items', next) } : {}),
  };
}
