// The DAG bookkeeping the peer adapters (BullMQ, graphile-worker) share, as a user of a plain job
// queue would write it: a finished node enqueues its children at once when they have one parent,
// and counts an arrival for those with several (a counter in Redis or PostgreSQL); a child is
// enqueued by the arrival that brings its counter to its number of parents. The run is over when
// the count of finished sinks reaches the number of sinks. Pure: the adapters do the I/O.
import type { NoopDefinition } from '../shapes.ts';

/** What a worker knows of a definition: children, parent counts, roots and sinks. */
export interface DagPlan {
  readonly roots: readonly string[];
  readonly children: ReadonlyMap<string, readonly string[]>;
  readonly parents: ReadonlyMap<string, number>;
  /** Nodes without children: the run ends when all of them have finished. */
  readonly sinks: number;
  readonly nodes: number;
}

/** What finishing one node asks of the store and the queue. */
export interface AfterNode {
  /** Children with this node as their only parent: enqueue them now. */
  readonly direct: readonly string[];
  /** Children with several parents: count an arrival on each, enqueue those that reach their count. */
  readonly counted: readonly string[];
  /** The node is a sink: count it towards the run's end. */
  readonly sink: boolean;
}

/**
 * The plan of a definition made of `needs` edges.
 * @example planDag(diamond().definition).parents.get('d') // 2
 */
export function planDag(definition: NoopDefinition): DagPlan {
  const children = new Map<string, string[]>();
  const parents = new Map<string, number>();
  const roots: string[] = [];
  for (const id of Object.keys(definition.nodes)) children.set(id, []);
  for (const [id, node] of Object.entries(definition.nodes)) {
    const needs = node.needs ?? [];
    parents.set(id, needs.length);
    if (needs.length === 0) roots.push(id);
    for (const parent of needs) {
      const list = children.get(parent);
      if (!list) throw new RangeError(`node "${id}" needs "${parent}", which is not in the definition`);
      list.push(id);
    }
  }
  const sinks = [...children.values()].filter((list) => list.length === 0).length;
  return { roots, children, parents, sinks, nodes: parents.size };
}

/**
 * What finishing `node` asks for.
 * @example afterNode(planDag(diamond().definition), 'a') // { direct: ['b', 'c'], counted: [], sink: false }
 */
export function afterNode(plan: DagPlan, node: string): AfterNode {
  const children = plan.children.get(node);
  if (!children) throw new RangeError(`no node "${node}" in the plan`);
  const direct: string[] = [];
  const counted: string[] = [];
  for (const child of children) ((plan.parents.get(child) ?? 0) > 1 ? counted : direct).push(child);
  return { direct, counted, sink: children.length === 0 };
}

/**
 * The counted children that are ready, given each one's arrival count after this arrival (same
 * order as `counted`): those whose count equals their number of parents, so exactly one arrival
 * releases each child however the arrivals interleave.
 * @example released(plan, ['d'], [2]) // ['d'] in the diamond
 */
export function released(plan: DagPlan, counted: readonly string[], counts: readonly number[]): string[] {
  if (counts.length !== counted.length) throw new RangeError('one count per counted child');
  return counted.filter((child, i) => counts[i] === plan.parents.get(child));
}

/** Whether the run is over once `finishedSinks` sinks have finished. */
export function runOver(plan: DagPlan, finishedSinks: number): boolean {
  return finishedSinks === plan.sinks;
}
