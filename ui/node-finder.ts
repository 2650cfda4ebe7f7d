import { type Session, seg, tenantCall } from './api.ts';
import type { NodeView } from './node-panel.ts';

/** Nodes a request reads while scanning (the API's largest node page). */
const SCAN_PAGE = 1000;
/** The scan stops after this many matches: more would not be read by anyone anyway. */
export const MAX_FOUND = 1000;

/**
 * The nodes of a run in `statuses`, found by reading its node pages (1,000 nodes a request,
 * without outputs) on demand: on a 10,000-node run, the failed nodes are ten requests away
 * instead of a hundred pages of the table.
 */
export async function findNodes(
  session: Session,
  runId: string,
  statuses: ReadonlySet<string>,
): Promise<Record<string, NodeView>> {
  const found: Record<string, NodeView> = {};
  let count = 0;
  let cursor: string | undefined;
  do {
    const query = `limit=${SCAN_PAGE}&outputs=false${cursor ? `&cursor=${seg(cursor)}` : ''}`;
    const page = await tenantCall<{ nodes: Record<string, NodeView>; nodesCursor?: string }>(
      session,
      'GET',
      `/runs/${seg(runId)}?${query}`,
    );
    for (const [id, node] of Object.entries(page.nodes)) {
      if (!statuses.has(node.status)) continue;
      found[id] = node;
      count += 1;
      if (count >= MAX_FOUND) return found;
    }
    cursor = page.nodesCursor;
  } while (cursor);
  return found;
}
