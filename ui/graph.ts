import dagre from '@dagrejs/dagre';
import { h, svg } from './dom.ts';

/** A definition's node as the graph needs it. */
export interface GraphNode {
  readonly type?: string;
  readonly needs?: readonly string[];
}

/**
 * Above this many nodes the graph is collapsed: one box per band of topological levels instead of
 * one per node (dagre lays out 300 nodes in well under a second; 10,000 would take minutes).
 */
export const FULL_GRAPH_LIMIT = 300;
/** A collapsed graph has at most this many boxes. */
const MAX_BANDS = 40;

/** The longest path from a root to each node (roots are level 0), in a definition's order. */
export function levelsOf(nodes: Readonly<Record<string, GraphNode>>): Map<string, number> {
  const children = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const [id, node] of Object.entries(nodes)) {
    const needs = (node.needs ?? []).filter((parent) => parent in nodes);
    waiting.set(id, needs.length);
    for (const parent of needs) children.set(parent, [...(children.get(parent) ?? []), id]);
  }
  const level = new Map<string, number>();
  const queue = [...waiting].filter(([, count]) => count === 0).map(([id]) => id);
  for (const id of queue) level.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    for (const child of children.get(id) ?? []) {
      level.set(child, Math.max(level.get(child) ?? 0, (level.get(id) ?? 0) + 1));
      const left = (waiting.get(child) ?? 1) - 1;
      waiting.set(child, left);
      if (left === 0) queue.push(child);
    }
  }
  return level;
}

export interface DrawnGraph {
  readonly element: HTMLElement;
  /** Recolours the nodes (no new layout): status by node id. */
  update(statuses: ReadonlyMap<string, string>): void;
}

/**
 * Draws a definition's DAG laid out by dagre: every node when there are at most
 * {@link FULL_GRAPH_LIMIT}, else one box per band of levels with its node count.
 */
export function drawGraph(
  nodes: Readonly<Record<string, GraphNode>>,
  onSelect?: (nodeId: string) => void,
): DrawnGraph {
  const ids = Object.keys(nodes);
  return ids.length <= FULL_GRAPH_LIMIT ? fullGraph(nodes, onSelect) : collapsedGraph(nodes);
}

function fullGraph(
  nodes: Readonly<Record<string, GraphNode>>,
  onSelect?: (nodeId: string) => void,
): DrawnGraph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 50, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const [id, node] of Object.entries(nodes)) {
    const width = Math.max(90, 7.5 * Math.max(id.length, (node.type ?? '').length) + 24);
    g.setNode(id, { width, height: 42 });
  }
  for (const [id, node] of Object.entries(nodes)) {
    for (const parent of node.needs ?? []) if (parent in nodes) g.setEdge(parent, id);
  }
  dagre.layout(g);
  const { width = 0, height = 0 } = g.graph();
  const edges = g.edges().map((edge) => {
    return svg('path', { d: pathOf(g.edge(edge).points), class: 'edge', 'marker-end': 'url(#arrow)' });
  });
  const boxes = new Map<string, SVGElement>();
  const drawn = Object.entries(nodes).map(([id, node]) => {
    const { x, y, width: w, height: hgt } = g.node(id);
    const label = svg('text', { x, y: y - 3, class: 'label' }, document.createTextNode(id));
    const type = svg('text', { x, y: y + 12, class: 'type' }, document.createTextNode(node.type ?? ''));
    const rect = svg('rect', { x: x - w / 2, y: y - hgt / 2, width: w, height: hgt, rx: 6 });
    const group = svg('g', { class: 'node s-PENDING', 'data-node': id, tabindex: 0 }, rect, label, type);
    if (onSelect) {
      group.addEventListener('click', () => onSelect(id));
      group.addEventListener('keydown', (event) => {
        if ((event as KeyboardEvent).key === 'Enter') onSelect(id);
      });
    }
    boxes.set(id, group);
    return group;
  });
  const defs = svg(
    'defs',
    {},
    svg(
      'marker',
      {
        id: 'arrow',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto',
      },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
    ),
  );
  const picture = svg('svg', { width, height, class: 'dag', role: 'img' }, defs, ...edges, ...drawn);
  return {
    element: h('div', { class: 'graph', 'data-graph': 'full' }, picture),
    update(statuses) {
      for (const [id, group] of boxes) group.setAttribute('class', `node s-${statuses.get(id) ?? 'PENDING'}`);
    },
  };
}

/** Bands of levels, one box each, chained by dagre: the shape of a big DAG without its nodes. */
function collapsedGraph(nodes: Readonly<Record<string, GraphNode>>): DrawnGraph {
  const levels = levelsOf(nodes);
  const depth = Math.max(0, ...levels.values()) + 1;
  const perBand = Math.ceil(depth / MAX_BANDS);
  const bands: { first: number; last: number; count: number }[] = [];
  for (let first = 0; first < depth; first += perBand) {
    bands.push({ first, last: Math.min(depth, first + perBand) - 1, count: 0 });
  }
  for (const level of levels.values()) {
    const band = bands[Math.floor(level / perBand)];
    if (band) band.count += 1;
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 20, ranksep: 24, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  bands.forEach((_, i) => {
    g.setNode(`b${i}`, { width: 220, height: 36 });
    if (i > 0) g.setEdge(`b${i - 1}`, `b${i}`);
  });
  dagre.layout(g);
  const { width = 0, height = 0 } = g.graph();
  const drawn = bands.map((band, i) => {
    const { x, y, width: w, height: hgt } = g.node(`b${i}`);
    const levelsText = band.first === band.last ? `level ${band.first}` : `levels ${band.first}–${band.last}`;
    return svg(
      'g',
      { class: 'band' },
      svg('rect', { x: x - w / 2, y: y - hgt / 2, width: w, height: hgt, rx: 6 }),
      svg(
        'text',
        { x, y: y + 4, class: 'label' },
        document.createTextNode(`${levelsText} · ${band.count} nodes`),
      ),
    );
  });
  const edges = g.edges().map((edge) => {
    return svg('path', { d: pathOf(g.edge(edge).points), class: 'edge' });
  });
  const picture = svg('svg', { width, height, class: 'dag', role: 'img' }, ...edges, ...drawn);
  const note = h(
    'p',
    { class: 'note' },
    `${levels.size} nodes in ${depth} levels: collapsed by level (the graph draws every node up to ${FULL_GRAPH_LIMIT}).`,
  );
  return { element: h('div', { class: 'graph', 'data-graph': 'collapsed' }, note, picture), update() {} };
}

/** An SVG path through an edge's points. */
function pathOf(points: readonly { x: number; y: number }[] | undefined): string {
  return (points ?? []).map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}
