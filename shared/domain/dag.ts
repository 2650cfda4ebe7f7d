import { LIMITS } from './limits.ts';

export interface DagInput {
  /** Node ids in definition order. */
  readonly nodes: readonly string[];
  /**
   * Parents of each node (its `needs`). The caller has already removed unknown ids and self-references;
   * every parent id is in `nodes`. May contain duplicates: they count as one edge.
   */
  readonly parents: (id: string) => readonly string[];
}

export interface DagAnalysis {
  /**
   * Elementary cycles (up to LIMITS.maxReportedCycles), each in execution direction (parent before child),
   * rotated to start at its smallest node id (string compare) and closed: ['a','b','c','a'] means b needs
   * a, c needs b, a needs c. Sorted by length, then id by id. Every cyclic region (SCC) gets at least one.
   */
  readonly cycles: string[][];
  /** How many further elementary cycles exist beyond the reported ones (0 if none). */
  readonly omittedCycles: number;
  /** True when enumeration stopped early, so `omittedCycles` is only a lower bound (possibly 0). */
  readonly cyclesCountIsLowerBound: boolean;
  /**
   * Nodes that are not on any cycle but depend (transitively) on a node that is: they can never start.
   * Maps each such node to one cycle it is blocked by (a reported one when possible). In definition order.
   */
  readonly blocked: ReadonlyMap<string, string[]>;
  /** Longest-path layering when the graph is acyclic, else undefined; definition order within a level. */
  readonly levels: string[][] | undefined;
}

/** Cycles counted past the reported ones before the total turns into a lower bound. */
const EXTRA_CYCLES_COUNTED = 10_000;
/**
 * Edge visits cycle enumeration may spend (about 50 ms). Johnson's algorithm is output-sensitive, but the
 * work between two cycles is O(V + E) and a dense SCC has exponentially many cycles.
 */
const ENUMERATION_BUDGET = 2_000_000;

interface Graph {
  readonly ids: string[];
  /** Child edges (execution direction), deduplicated, children in definition order. */
  readonly children: number[][];
}

interface Budget {
  steps: number;
  readonly limit: number;
}

interface Candidate {
  readonly cycle: string[];
  /** Index of the top-level SCC the cycle lies in. */
  readonly scc: number;
}

/** Tarjan over a subgraph: see {@link tarjan}. */
type Components = (
  members: readonly number[],
  scope: Int32Array,
  tag: number,
  budget: Budget,
) => number[][] | undefined;

/**
 * Finds cycles, the nodes they block and, for an acyclic graph, the execution levels.
 * Linear in nodes + edges, except cycle enumeration, which stops at a fixed work budget.
 * @example
 * const needs: Record<string, string[]> = { a: ['b'], b: ['a'], c: [], d: ['c'], e: ['b'] };
 * analyzeDag({ nodes: ['c', 'd'], parents: (id) => needs[id] ?? [] }).levels // [['c'], ['d']]
 * const cyclic = analyzeDag({ nodes: ['a', 'b', 'e'], parents: (id) => needs[id] ?? [] });
 * cyclic.cycles // [['a', 'b', 'a']]
 * cyclic.blocked // Map { 'e' => ['a', 'b', 'a'] }
 */
export function analyzeDag(input: DagInput): DagAnalysis {
  const graph = buildGraph(input);
  const n = graph.ids.length;
  const components = tarjan(graph);
  // Top-level pass: scope is all zeros and tag 0, so every edge counts.
  const all = Array.from({ length: n }, (_, v) => v);
  const sccs = components(all, new Int32Array(n), 0, { steps: 0, limit: Infinity }) ?? [];
  // Enumerate regions in the order their nodes were defined, not in Tarjan's reverse topological order.
  for (const scc of sccs) scc.sort((x, y) => x - y);
  sccs.sort((x, y) => (x[0] as number) - (y[0] as number));
  const sccOf = new Int32Array(n).fill(-1);
  sccs.forEach((scc, s) => {
    for (const v of scc) sccOf[v] = s;
  });

  const { candidates, stoppedEarly } = enumerateCycles(graph, sccs, components);
  // A budget stop can leave an SCC without any enumerated cycle: a shortest cycle through it still names it.
  const enumerated = new Set(candidates.map((c) => c.scc));
  const representatives = shortestCycles(graph, sccs, sccOf);
  representatives.forEach((cycle, scc) => {
    if (!enumerated.has(scc)) candidates.push({ cycle, scc });
  });
  const chosen = choose(candidates);
  const cycleOfScc = representatives.slice();
  for (const { cycle, scc } of chosen.slice().reverse()) cycleOfScc[scc] = cycle;
  return {
    cycles: chosen.map((c) => c.cycle),
    omittedCycles: candidates.length - chosen.length,
    cyclesCountIsLowerBound: stoppedEarly,
    blocked: blockedBy(graph, sccOf, cycleOfScc),
    levels: sccs.length === 0 ? layers(graph) : undefined,
  };
}

/**
 * Renders a cycle for messages.
 * @example formatCycle(['a', 'b', 'a']) // 'a -> b -> a'
 */
export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}

function buildGraph(input: DagInput): Graph {
  const index = new Map<string, number>();
  const ids: string[] = [];
  for (const id of input.nodes) if (!index.has(id)) index.set(id, ids.push(id) - 1);
  const children: number[][] = ids.map(() => []);
  // Remembering the last child each parent got an edge to dedupes `needs` without a Set per node.
  const lastChild = new Int32Array(ids.length).fill(-1);
  ids.forEach((id, v) => {
    for (const parentId of input.parents(id)) {
      const p = index.get(parentId);
      // Defensive: unknown parents or self-loops would break the "SCC of 2+ nodes = cycle" invariant.
      if (p === undefined || p === v || lastChild[p] === v) continue;
      lastChild[p] = v;
      children[p]?.push(v);
    }
  });
  return { ids, children };
}

/**
 * Iterative Tarjan (a 10,000-node chain would overflow a recursive one) over `members`, following only
 * edges into nodes with `scope[w] === tag`. Returns the SCCs of two or more nodes, or undefined when the
 * budget runs out. Arrays are allocated once and reset per member, so Johnson's repeated calls cost the
 * size of the subgraph, not of the whole graph.
 */
function tarjan({ ids, children }: Graph): Components {
  const n = ids.length;
  const [index, low, next] = [new Int32Array(n), new Int32Array(n), new Int32Array(n)];
  const onStack = new Uint8Array(n);
  return (members, scope, tag, budget) => {
    for (const v of members) index[v] = -1;
    const out: number[][] = [];
    const [stack, frames]: [number[], number[]] = [[], []];
    let counter = 0;
    const enter = (v: number): void => {
      index[v] = low[v] = counter++;
      next[v] = 0;
      onStack[v] = 1;
      stack.push(v);
      frames.push(v);
    };
    for (const root of members) {
      if (index[root] === -1) enter(root);
      for (let v = frames.at(-1); v !== undefined; v = frames.at(-1)) {
        const w = children[v]?.[next[v] as number];
        next[v] = (next[v] as number) + 1;
        if (w !== undefined) {
          if (++budget.steps > budget.limit) return undefined;
          if (scope[w] !== tag) continue;
          if (index[w] === -1) enter(w);
          else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
          continue;
        }
        frames.pop();
        const caller = frames.at(-1);
        if (caller !== undefined) low[caller] = Math.min(low[caller] as number, low[v] as number);
        if (low[v] !== index[v]) continue;
        const component = stack.splice(stack.lastIndexOf(v));
        for (const x of component) onStack[x] = 0;
        if (component.length > 1) out.push(component);
      }
    }
    return out;
  };
}

function smallest(members: readonly number[], ids: readonly string[]): number {
  let best = members[0] as number;
  for (const v of members) if ((ids[v] as string) < (ids[best] as string)) best = v;
  return best;
}

/**
 * Johnson's algorithm, iteratively. Each search starts at its component's smallest id, so every cycle
 * found already begins at its smallest node. Stops after the cap (then more cycles surely exist) or when
 * the budget is spent.
 */
function enumerateCycles(graph: Graph, sccs: readonly number[][], components: Components) {
  const n = graph.ids.length;
  const cap = LIMITS.maxReportedCycles + EXTRA_CYCLES_COUNTED;
  const budget: Budget = { steps: 0, limit: ENUMERATION_BUDGET };
  const candidates: Candidate[] = [];
  const [scope, pos] = [new Int32Array(n), new Int32Array(n)];
  const [blocked, closed] = [new Uint8Array(n), new Uint8Array(n)];
  // Johnson's B sets: who to unblock once w is unblocked.
  const waiting: (Set<number> | undefined)[] = new Array(n);
  const unblock = (u: number): void => {
    blocked[u] = 0;
    for (let todo = [u], x = todo.pop(); x !== undefined; x = todo.pop()) {
      for (const w of waiting[x] ?? []) {
        budget.steps++;
        if (blocked[w]) todo.push(w);
        blocked[w] = 0;
      }
      waiting[x] = undefined;
    }
  };
  // Returns false to stop everything: cap reached or budget spent.
  const search = (start: number, tag: number, scc: number): boolean => {
    const path = [start];
    pos[start] = 0;
    blocked[start] = 1;
    for (let v = path.at(-1); v !== undefined; v = path.at(-1)) {
      const adj = graph.children[v] as number[];
      const w = adj[pos[v] as number];
      pos[v] = (pos[v] as number) + 1;
      if (w !== undefined) {
        if (++budget.steps > budget.limit) return false;
        if (scope[w] !== tag) continue;
        if (w === start) {
          if (candidates.length === cap) return false;
          budget.steps += path.length;
          candidates.push({ cycle: [...path, start].map((x) => graph.ids[x] as string), scc });
          closed[v] = 1;
        } else if (!blocked[w]) {
          path.push(w);
          [pos[w], blocked[w], closed[w]] = [0, 1, 0];
        }
        continue;
      }
      path.pop();
      const caller = path.at(-1);
      if (closed[v]) {
        // The recursive algorithm returns "found a cycle" to its caller: pass it up the explicit stack.
        if (caller !== undefined) closed[caller] = 1;
        unblock(v);
        continue;
      }
      budget.steps += adj.length;
      for (const x of adj) if (scope[x] === tag) waiting[x] = (waiting[x] ?? new Set<number>()).add(v);
    }
    return true;
  };

  let tags = 0;
  const work = sccs.map((members, scc) => ({ members, scc })).reverse();
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const { members, scc } = item;
    const tag = ++tags;
    for (const v of members) [scope[v], blocked[v], closed[v], waiting[v]] = [tag, 0, 0, undefined];
    const start = smallest(members, graph.ids);
    if (!search(start, tag, scc)) return { candidates, stoppedEarly: true };
    // Every other cycle avoids `start`, so it lies inside one SCC of what is left.
    scope[start] = 0;
    const rest = members.filter((v) => v !== start);
    const subs = components(rest, scope, tag, budget);
    if (subs === undefined) return { candidates, stoppedEarly: true };
    for (const sub of subs) work.push({ members: sub, scc });
  }
  return { candidates, stoppedEarly: false };
}

/** Per SCC, a shortest cycle through its smallest id: one BFS each, linear in total since SCCs are disjoint. */
function shortestCycles(graph: Graph, sccs: readonly number[][], sccOf: Int32Array): string[][] {
  const prev = new Int32Array(graph.ids.length).fill(-2);
  return sccs.map((members, scc) => {
    const start = smallest(members, graph.ids);
    prev[start] = -1;
    for (let queue = [start], head = 0; head < queue.length; head++) {
      const v = queue[head] as number;
      for (const w of graph.children[v] as number[]) {
        if (w === start) {
          const path = [start];
          for (let x = v; x !== -1; x = prev[x] as number) path.push(x);
          return path.reverse().map((x) => graph.ids[x] as string);
        }
        if (sccOf[w] !== scc || prev[w] !== -2) continue;
        prev[w] = v;
        queue.push(w);
      }
    }
    // Unreachable: in an SCC of two or more nodes every node lies on a cycle.
    throw new Error(`no cycle through ${graph.ids[start]}`);
  });
}

/** Keeps the first cycles in sort order, after taking one per SCC so no cyclic region goes unmentioned. */
function choose(candidates: readonly Candidate[]): Candidate[] {
  const sorted = candidates.slice().sort((x, y) => compareCycles(x.cycle, y.cycle));
  const firstPerScc = new Map<number, Candidate>();
  for (const c of sorted) if (!firstPerScc.has(c.scc)) firstPerScc.set(c.scc, c);
  const chosen = new Set([...firstPerScc.values()].slice(0, LIMITS.maxReportedCycles));
  for (const c of sorted) if (chosen.size < LIMITS.maxReportedCycles) chosen.add(c);
  return [...chosen].sort((x, y) => compareCycles(x.cycle, y.cycle));
}

/** Multi-source BFS along child edges from every cycle node, remembering which SCC reached each node. */
function blockedBy(graph: Graph, sccOf: Int32Array, cycleOfScc: readonly string[][]): Map<string, string[]> {
  const origin = Int32Array.from(sccOf);
  const queue = indexesWhere(origin, (s) => s >= 0);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    for (const w of graph.children[v] as number[]) {
      if (origin[w] !== -1) continue;
      origin[w] = origin[v] as number;
      queue.push(w);
    }
  }
  const blocked = new Map<string, string[]>();
  graph.ids.forEach((id, v) => {
    if (sccOf[v] === -1 && (origin[v] as number) >= 0)
      blocked.set(id, cycleOfScc[origin[v] as number] as string[]);
  });
  return blocked;
}

/** Kahn's algorithm, raising each child to one past its deepest parent: longest-path layering. */
function layers(graph: Graph): string[][] {
  const pending = new Int32Array(graph.ids.length);
  for (const adj of graph.children) for (const w of adj) pending[w] = (pending[w] as number) + 1;
  const level = new Int32Array(graph.ids.length);
  const queue = indexesWhere(pending, (count) => count === 0);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    for (const w of graph.children[v] as number[]) {
      level[w] = Math.max(level[w] as number, (level[v] as number) + 1);
      pending[w] = (pending[w] as number) - 1;
      if (pending[w] === 0) queue.push(w);
    }
  }
  const levels: string[][] = [];
  graph.ids.forEach((id, v) => {
    const at = level[v] as number;
    while (levels.length <= at) levels.push([]);
    levels[at]?.push(id);
  });
  return levels;
}

/** Indexes whose value passes `test`, ascending. */
function indexesWhere(values: Int32Array, test: (value: number) => boolean): number[] {
  const out: number[] = [];
  values.forEach((value, i) => {
    if (test(value)) out.push(i);
  });
  return out;
}

/** By length, then id by id (like joining with a separator that sorts before every character). */
function compareCycles(x: readonly string[], y: readonly string[]): number {
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const [a, b] = [x[i] as string, y[i] as string];
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
