import { SkeinError } from '../domain/problems.ts';
import type { LogLine } from '../ports/attempt-logs.ts';
import type { EngineContext } from './context.ts';
import { getOwnRun } from './run-view.ts';

/** What `GET .../runs/{run}/nodes/{node}/logs` answers: one attempt's lines. */
export interface NodeLogsView {
  readonly node: string;
  readonly attempt: number;
  readonly lines: readonly LogLine[];
  readonly truncated: boolean;
}

/**
 * What attempt `attempt` (default: the latest) of a node printed. A run of another tenant, a node
 * the run does not define (nor a map item of it), or an attempt that never started is a 404 with
 * its own code; a node that printed nothing (or has not run yet) has no lines.
 */
export async function viewNodeLogs(
  cx: EngineContext,
  tenant: string,
  runId: string,
  nodeId: string,
  attempt?: number,
): Promise<NodeLogsView> {
  const run = await getOwnRun(cx, tenant, runId);
  const [plan, node] = await Promise.all([cx.planFor(run), cx.runs.getNode(runId, nodeId)]);
  if (!node && !plan.node(nodeId)) {
    throw new SkeinError(
      'NODE_NOT_FOUND',
      `run ${runId} has no node "${nodeId.slice(0, 100)}": use a node id from GET /runs/${runId}`,
      'not_found',
    );
  }
  const attempts = node?.attempt ?? 0;
  const chosen = attempt ?? Math.max(attempts, 1);
  if (attempt !== undefined && (attempt < 1 || attempt > attempts)) {
    throw new SkeinError(
      'ATTEMPT_NOT_FOUND',
      `node "${nodeId.slice(0, 100)}" has ${attempts === 0 ? 'not run yet' : `run ${attempts} attempt(s)`}: ask for attempt 1${attempts > 1 ? ` to ${attempts}` : ''}`,
      'not_found',
      '$.attempt',
    );
  }
  const logs = attempts === 0 ? undefined : await cx.runs.getLogs(runId, nodeId, chosen);
  return { node: nodeId, attempt: chosen, lines: logs?.lines ?? [], truncated: logs?.truncated ?? false };
}
