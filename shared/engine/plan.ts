import type { NodeDefinition, WorkflowDefinition } from '../domain/definition-schema.ts';
import { parseItemId } from '../domain/map-items.ts';
import type { Executor } from '../ports/executor.ts';
import type { Executors } from '../ports/executors.ts';

/** Sinks per done-set: keeps every done-set item well under 1 KB, whatever the run's size. */
export const SINKS_PER_SHARD = 64;

/** Where a sink is counted when it ends: member `member` of done-set `shard`. */
export interface SinkSlot {
  readonly shard: number;
  readonly member: number;
  /** Sinks in that shard: the shard is full when its set reaches this size. */
  readonly shardSize: number;
}

/**
 * A definition compiled for the engine: parents, children, sinks and their done-set slots, each
 * node's kind and the routes of kinds that route (a condition's branches). Built once per pinned
 * version (versions are immutable) and cached by the engine.
 */
export interface Plan {
  readonly definition: WorkflowDefinition;
  /** The tenant whose definition it is (set by the engine's plan cache): the queue's fairness group. */
  readonly tenant?: string;
  readonly ids: readonly string[];
  node(id: string): NodeDefinition | undefined;
  parents(id: string): readonly string[];
  children(id: string): readonly string[];
  roots(): readonly string[];
  /** Set when `id` has no children. */
  sinkSlot(id: string): SinkSlot | undefined;
  readonly sinkCount: number;
  readonly shardCount: number;
  /** The node's kind as this deployment declares it; undefined when its type has no executor here. */
  kindOf(id: string): Executor | undefined;
  /** The route of `childId` among the routes of `nodeId` (a condition's `then`/`else`), if any. */
  routeOf(nodeId: string, childId: string): string | undefined;
}

/**
 * Compiles a validated definition, with the node kinds of `executors`.
 * @example compilePlan(definition, flowExecutors()).routeOf('check', 'ship') // 'then'
 */
export function compilePlan(definition: WorkflowDefinition, executors: Executors): Plan {
  const ids = Object.keys(definition.nodes);
  const parents = new Map<string, readonly string[]>();
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of ids) {
    const needs = [...new Set(definition.nodes[id]?.needs ?? [])];
    parents.set(id, needs);
    for (const parent of needs) children.get(parent)?.push(id);
  }
  const sinks = ids.filter((id) => (children.get(id) ?? []).length === 0);
  const shardCount = Math.ceil(sinks.length / SINKS_PER_SHARD);
  const slots = new Map<string, SinkSlot>();
  sinks.forEach((id, index) => {
    const shard = Math.floor(index / SINKS_PER_SHARD);
    const shardSize = Math.min(SINKS_PER_SHARD, sinks.length - shard * SINKS_PER_SHARD);
    slots.set(id, { shard, member: index, shardSize });
  });
  const roots = ids.filter((id) => (parents.get(id) ?? []).length === 0);
  const kinds = new Map<string, Executor | undefined>();
  const kindOfType = (type: string) => {
    if (!kinds.has(type)) kinds.set(type, executors.has(type) ? executors.get(type) : undefined);
    return kinds.get(type);
  };
  const templates = new Map<string, NodeDefinition | undefined>();
  const templateOf = (mapId: string) => {
    if (!templates.has(mapId)) templates.set(mapId, itemTemplate(definition.nodes[mapId]));
    return templates.get(mapId);
  };
  const node = (id: string) => {
    if (Object.hasOwn(definition.nodes, id)) return definition.nodes[id];
    const item = parseItemId(id);
    return item && Object.hasOwn(definition.nodes, item.mapId) ? templateOf(item.mapId) : undefined;
  };
  const kindOf = (id: string) => {
    const type = node(id)?.type;
    return type === undefined ? undefined : kindOfType(type);
  };
  const routes = new Map<string, string>();
  for (const id of ids) {
    const routing = kindOf(id)?.routing;
    if (routing === undefined) continue;
    for (const [route, targets] of Object.entries(routing.routesOf(node(id)))) {
      for (const child of targets ?? []) routes.set(`${id}\u0000${child}`, route);
    }
  }
  return {
    definition,
    ids,
    node,
    parents: (id) => parents.get(id) ?? [],
    children: (id) => children.get(id) ?? [],
    roots: () => roots,
    sinkSlot: (id) => slots.get(id),
    sinkCount: sinks.length,
    shardCount,
    kindOf,
    routeOf: (nodeId, childId) => routes.get(`${nodeId}\u0000${childId}`),
  };
}

/**
 * The node each item of a map runs (`<map>[<index>]`): the map's `node` template, on the map's
 * pool and priority unless it names its own; a `{workflow, version}` template is a `workflow`
 * node whose inputs are the item.
 */
function itemTemplate(map: NodeDefinition | undefined): NodeDefinition | undefined {
  if (map?.type !== 'map') return undefined;
  const template = map.node as NodeDefinition | { workflow: string; version: string } | undefined;
  if (template === undefined || typeof template !== 'object') return undefined;
  const placement = {
    ...(map.pool === undefined ? {} : { pool: map.pool }),
    ...(map.priority === undefined ? {} : { priority: map.priority }),
  };
  if ('type' in template) return { ...placement, ...template };
  // `with` is any template (the run-start path takes an object): here the whole item.
  const inputs = '{% $item %}' as unknown as Record<string, unknown>;
  return {
    ...placement,
    type: 'workflow',
    workflow: template.workflow,
    version: template.version,
    with: inputs,
  };
}

// `$nodes.id`, `$nodes.\`id-with-dash\``, `$nodes["id"]`.
const NODE_REFERENCE =
  /\$nodes\s*\.\s*(?:([A-Za-z_][A-Za-z0-9_]*)|`([^`]+)`)|\$nodes\s*\[\s*["']([^"']+)["']/g;

/** Node ids that `$nodes.<id>` expressions in `value` read (a cheap scan, no parsing). */
export function referencedNodes(value: unknown, known: (id: string) => boolean): string[] {
  const found = new Set<string>();
  const visit = (item: unknown) => {
    if (typeof item === 'string') {
      if (!item.includes('{%')) return;
      for (const match of item.matchAll(NODE_REFERENCE)) {
        const id = match[1] ?? match[2] ?? match[3];
        if (id !== undefined && known(id)) found.add(id);
      }
    } else if (Array.isArray(item)) {
      item.forEach(visit);
    } else if (item !== null && typeof item === 'object') {
      Object.values(item).forEach(visit);
    }
  };
  visit(value);
  return [...found];
}
