import type { WorkflowDefinition } from './definition-schema.ts';
import { parseDuration } from './duration.ts';
import type { Problem } from './problems.ts';

/**
 * A worker needs this much of its function's time around a node's own time: claiming it,
 * evaluating `with`, saving the result and sending the children.
 */
export const POOL_TIME_MARGIN_MS = 5_000;

/** The pool a node's messages go to (an unknown pool falls back to `default` when sent). */
export function poolOf(pool: string | undefined, poolTimeoutsMs: Readonly<Record<string, number>>): string {
  return pool !== undefined && poolTimeoutsMs[pool] !== undefined ? pool : 'default';
}

/** The longest a node may run on `pool`: its function timeout minus the margin (at least 1 s). */
export function poolNodeTimeMs(
  pool: string,
  poolTimeoutsMs: Readonly<Record<string, number>>,
): number | undefined {
  const limit = poolTimeoutsMs[pool];
  return limit === undefined ? undefined : Math.max(1_000, limit - POOL_TIME_MARGIN_MS);
}

/**
 * Node types that never hold a worker while they last (they park, or only evaluate): the kinds
 * that declare `inline` (`shared/executors/`), named here because publishing runs below them.
 */
const PARKING_TYPES = new Set(['wait', 'condition', 'callback', 'workflow', 'stepfunctions']);

/**
 * Nodes whose timeout (their own, or the definition's default) is longer than their pool's worker
 * can run: such a node would be cut by the function's timeout on every attempt. One problem per
 * node with its own timeout, one at `$.defaults.timeout` for the nodes that inherit it.
 * @example poolTimeProblems(def, { default: 60_000 }) // [{ code: 'LIMIT', path: '$.nodes.train.timeout', ... }]
 */
export function poolTimeProblems(
  definition: WorkflowDefinition,
  poolTimeoutsMs: Readonly<Record<string, number>>,
): Problem[] {
  const problems: Problem[] = [];
  const inheritedBy = new Map<string, string[]>();
  const fallback = definition.defaults?.timeout;
  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    if (PARKING_TYPES.has(node.type)) continue;
    const own = node.timeout;
    const timeout = own ?? fallback;
    const timeoutMs = timeout === undefined ? undefined : parseDuration(timeout);
    const pool = poolOf(node.pool, poolTimeoutsMs);
    const limitMs = poolNodeTimeMs(pool, poolTimeoutsMs);
    if (timeoutMs === undefined || limitMs === undefined || timeoutMs <= limitMs) continue;
    if (own === undefined) {
      inheritedBy.set(pool, [...(inheritedBy.get(pool) ?? []), nodeId]);
      continue;
    }
    problems.push({
      code: 'LIMIT',
      path: `$.nodes.${nodeId}.timeout`,
      message: tooLong(`node "${nodeId}" has timeout ${String(own)}`, pool, limitMs, poolTimeoutsMs),
    });
  }
  for (const [pool, nodes] of inheritedBy) {
    const limitMs = poolNodeTimeMs(pool, poolTimeoutsMs) ?? 0;
    const shown =
      nodes
        .slice(0, 5)
        .map((id) => `"${id}"`)
        .join(', ') + (nodes.length > 5 ? ', ...' : '');
    problems.push({
      code: 'LIMIT',
      path: '$.defaults.timeout',
      message: tooLong(
        `defaults.timeout ${String(fallback)} (used by ${shown})`,
        pool,
        limitMs,
        poolTimeoutsMs,
      ),
    });
  }
  return problems;
}

function tooLong(
  what: string,
  pool: string,
  limitMs: number,
  poolTimeoutsMs: Readonly<Record<string, number>>,
) {
  const pools = Object.entries(poolTimeoutsMs)
    .map(([name, ms]) => `${name} ${Math.round(ms / 1000)} s`)
    .join(', ');
  return (
    `${what}, longer than pool "${pool}" can run a node (${Math.round(limitMs / 1000)} s: its ` +
    `function timeout minus ${POOL_TIME_MARGIN_MS / 1000} s); lower the timeout or set \`pool\` ` +
    `to a pool with a longer function timeout (pools: ${pools})`
  );
}
