import type { NodeDefinition } from '../domain/definition-schema.ts';
import { parseDuration } from '../domain/duration.ts';
import { LIMITS } from '../domain/limits.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  type InputsSource,
  succeeded,
} from '../ports/executor.ts';

export type MapNode = Extract<NodeDefinition, { type: 'map' }>;

/** One item's end, as the engine hands it back (`engine/map-run.ts`, `ItemResult`). */
interface ItemEnd {
  readonly status: string;
  readonly output?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Failed items named in a MAP_ITEM_FAILED message before the rest are only counted. */
const NAMED_FAILURES = 3;

/**
 * The `map` kind: runs the node's `node` template (any node type, or `{workflow, version}` for a
 * child run per item) once for each item of `items` (an expression giving a list, or a list),
 * with `$item` and `$index` in scope, at most `maxConcurrency` at a time. The first claim asks
 * the engine to spawn the items and the node waits, holding no worker; the claim their end wakes
 * succeeds with the items' outputs in index order (a skipped item gives `null`). A failed item
 * fails the map with MAP_ITEM_FAILED once every item has ended, unless the map has
 * `continueOnError` (its output then has `null` for each failed item); a retry of the map (its
 * `retry` policy, or a retry of the run) runs the items that did not succeed, not the others.
 * The map's own `timeout` fails it with MAP_TIMEOUT.
 * @example await new MapExecutor().execute({ node, inputs: ['a', 'b'], ctx })
 * // { kind: 'spawn', children: [{ kind: 'item', index: 0, item: 'a' }, { kind: 'item', index: 1, item: 'b' }] }
 */
export class MapExecutor implements Executor<MapNode> {
  readonly type = 'map';
  readonly inline = true;
  readonly awaitsCompletion = true;
  readonly maxOutputBytes = LIMITS.maxMapOutputBytes;

  inputsOf(node: MapNode): InputsSource {
    return { kind: 'template', template: node.items, field: 'items' };
  }

  async execute({ node, inputs, ctx }: ExecutionRequest<MapNode>): Promise<ExecutionResult> {
    const given = ctx.completion;
    if (given === undefined) return spawn(node, inputs, ctx.nodeId, ctx.now);
    switch (given.kind) {
      case 'completed':
        return settle(node, ctx.nodeId, given.output);
      case 'errored':
        return failure(given.error.code, given.error.message);
      case 'expired':
        return failure(
          'MAP_TIMEOUT',
          `the items of map "${ctx.nodeId}" did not all end by ${given.deadline}: give the map a longer ` +
            '`timeout`, a higher `maxConcurrency`, or fewer items',
        );
    }
  }
}

function spawn(node: MapNode, items: unknown, nodeId: string, now: number): ExecutionResult {
  if (items === undefined || items === null) items = [];
  if (!Array.isArray(items)) {
    return {
      ...failure(
        'MAP_ITEMS_NOT_A_LIST',
        `the items of map "${nodeId}" evaluated to ${describe(items)}, not a list: make \`items\` give an array`,
      ),
      final: true,
    };
  }
  if (items.length > LIMITS.maxMapItems) {
    return {
      ...failure(
        'MAP_TOO_MANY_ITEMS',
        `map "${nodeId}" was given ${items.length} items; the limit is ${LIMITS.maxMapItems}: split the list ` +
          'across maps, or map over batches of items',
      ),
      final: true,
    };
  }
  if (items.length === 0) return succeeded([]);
  const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
  return {
    kind: 'spawn',
    children: items.map((item: unknown, index) => ({ kind: 'item' as const, index, item })),
    ...(node.maxConcurrency === undefined ? {} : { maxConcurrency: node.maxConcurrency }),
    ...(timeoutMs === undefined ? {} : { until: now + timeoutMs }),
  };
}

function settle(node: MapNode, nodeId: string, given: unknown): ExecutionResult {
  const items = (given as { items?: readonly ItemEnd[] } | null)?.items ?? [];
  const failed: [number, ItemEnd][] = [];
  items.forEach((item, index) => {
    if (item.status !== 'SUCCEEDED' && item.status !== 'SKIPPED') failed.push([index, item]);
  });
  if (failed.length > 0 && !node.continueOnError) {
    const named = failed
      .slice(0, NAMED_FAILURES)
      .map(
        ([index, item]) =>
          `item ${index}: ${item.error ? `${item.error.code}: ${item.error.message}` : item.status}`,
      )
      .join('; ');
    const more = failed.length > NAMED_FAILURES ? `; and ${failed.length - NAMED_FAILURES} more` : '';
    // Retryable: a retry of the map runs the items that did not succeed, and only those.
    return failure(
      'MAP_ITEM_FAILED',
      `${failed.length} of ${items.length} items of map "${nodeId}" failed (${named}${more}); ` +
        'the run view lists each item (GET .../runs/{run}/nodes/{node}/items)',
      true,
    );
  }
  return succeeded(items.map((item) => (item.status === 'SUCCEEDED' ? (item.output ?? null) : null)));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
