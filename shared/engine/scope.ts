import { parseItemId } from '../domain/map-items.ts';
import type { NodeRecord, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import type { ExpressionScope } from './evaluate.ts';

const GET_NODES_MAX = 100;

/**
 * The expression scope for a run: `$inputs` (read once per run and cached: inputs never change),
 * `$nodes.<id>` for the nodes an expression reads (output, status, error), and `$run`; for a map
 * item (`node`), `$item` and `$index`.
 */
export async function scopeFor(
  cx: EngineContext,
  run: RunRecord,
  nodeIds: readonly string[],
  node?: NodeRecord,
): Promise<ExpressionScope> {
  const item = node && parseItemId(node.nodeId);
  const [inputs, nodes] = await Promise.all([cx.inputsOf(run.runId), readNodes(cx, run.runId, nodeIds)]);
  const view: Record<string, { output: unknown; status?: string; error?: unknown }> = {};
  for (const node of nodes) {
    view[node.nodeId] = { output: node.output ?? null, status: node.status, error: node.error };
  }
  return {
    inputs,
    nodes: view,
    run: {
      id: run.runId,
      tenant: run.tenant,
      workflow: run.workflow,
      version: run.version,
      createdAt: run.createdAt,
    },
    ...(item ? { item: node?.item ?? null, index: item.index } : {}),
  };
}

async function readNodes(
  cx: EngineContext,
  runId: string,
  nodeIds: readonly string[],
): Promise<NodeRecord[]> {
  if (nodeIds.length === 0) return [];
  const chunks: string[][] = [];
  for (let start = 0; start < nodeIds.length; start += GET_NODES_MAX) {
    chunks.push(nodeIds.slice(start, start + GET_NODES_MAX));
  }
  return (await Promise.all(chunks.map((ids) => cx.runs.getNodes(runId, ids)))).flat();
}
