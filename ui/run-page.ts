import { type RunSummary, type Session, seg, tenantCall } from './api.ts';
import { duration, errorBox, h, json, mount, pill, when } from './dom.ts';
import { type DrawnGraph, drawGraph, FULL_GRAPH_LIMIT } from './graph.ts';
import { keepLive } from './live.ts';
import type { Cleanup } from './main.ts';
import { findNodes } from './node-finder.ts';
import { type NodeDefinition, type NodeView, nodePanel } from './node-panel.ts';

interface RunView extends RunSummary {
  readonly control?: { action: string; done: number; total?: number };
  readonly inputs: unknown;
  readonly outputs?: unknown;
  readonly progress: { total: number; done: number; percent: number; byStatus: Record<string, number> };
  readonly nodes: Record<string, NodeView>;
  readonly nodesCursor?: string;
}

/** Nodes per page of the node table of a run too big to draw whole. */
const TABLE_PAGE = 100;
const ACTIVE = new Set(['QUEUED', 'RUNNING', 'PAUSED']);
const RETRYABLE_RUN = new Set(['FAILED', 'CANCELLED', 'TIMED_OUT']);
const RETRYABLE_NODE = new Set(['FAILED', 'CANCELLED']);
const ORDER = [
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELLED',
  'RUNNING',
  'WAITING',
  'RETRY_WAIT',
  'PARKED',
  'READY',
  'PENDING',
];

/**
 * `#/runs/{run}`: the run's DAG coloured by node status, progress, controls, the node table (paged
 * above {@link FULL_GRAPH_LIMIT} nodes) and the node panel, kept live by the event stream or polling.
 */
export function runPage(main: HTMLElement, session: Session, runId: string): Cleanup {
  const header = h('div');
  const controls = h('div', { class: 'row' });
  const message = h('div');
  const loadError = h('div');
  const graphBox = h('div');
  const table = h('div');
  const panelBox = h('div');
  const live = h('span', { class: 'note', 'data-live': 'starting' }, 'connecting…');
  mount(
    main,
    header,
    controls,
    message,
    loadError,
    h('div', { class: 'split' }, h('div', {}, graphBox, h('h2', {}, 'Nodes'), table), panelBox),
    h('p', {}, live),
  );
  const base = `/runs/${seg(runId)}`;
  let run: RunView | undefined;
  let nodes: Record<string, NodeDefinition> | undefined;
  let graph: DrawnGraph | undefined;
  let big = false;
  let selected: string | undefined;
  let shownPanel = '';
  const checked = new Set<string>();
  const cursors: (string | undefined)[] = [undefined];
  let at = 0;
  /** A big run's failed and cancelled nodes, when asked for: the table shows them instead of a page. */
  let found: Record<string, NodeView> | undefined;

  const select = (nodeId: string) => {
    selected = nodeId;
    shownPanel = '';
    void showPanel();
  };

  /** The panel of the selected node, with its output (read again only when the node changed). */
  const showPanel = async () => {
    const node = selected === undefined ? undefined : (run?.nodes[selected] ?? found?.[selected]);
    if (!run || selected === undefined || !node) return;
    const key = `${selected}:${node.status}:${node.attempts}`;
    if (key === shownPanel) return;
    shownPanel = key;
    const cursor = big ? cursors[at] : undefined;
    const query = `limit=${big ? TABLE_PAGE : 1000}&outputs=true${cursor ? `&cursor=${seg(cursor)}` : ''}`;
    const full = await tenantCall<RunView>(session, 'GET', `${base}?${query}`).catch(() => run as RunView);
    const nodeId = selected;
    const view = full.nodes[nodeId] ?? node;
    for (const box of graphBox.querySelectorAll('.node.selected')) box.classList.remove('selected');
    graphBox.querySelector(`[data-node="${CSS.escape(nodeId)}"]`)?.classList.add('selected');
    mount(
      panelBox,
      nodePanel(session, runId, nodeId, view, nodes?.[nodeId], readsOf(nodeId, full), () => void refresh()),
    );
  };

  /** The run's inputs and the outputs of the node's parents found on the page read with outputs. */
  const readsOf = (nodeId: string, page: RunView) => ({
    runInputs: page.inputs,
    parents: Object.fromEntries((nodes?.[nodeId]?.needs ?? []).map((id) => [id, page.nodes[id]?.output])),
  });

  const refresh = async (): Promise<boolean> => {
    const cursor = big ? cursors[at] : undefined;
    const query = `limit=${big ? TABLE_PAGE : 1000}&outputs=false${cursor ? `&cursor=${seg(cursor)}` : ''}`;
    run = await tenantCall<RunView>(session, 'GET', `${base}?${query}`);
    if (!nodes) {
      const path = `/workflows/${seg(run.workflow)}/versions/${seg(run.version)}`;
      const record = await tenantCall<{ definition: { nodes: Record<string, NodeDefinition> } }>(
        session,
        'GET',
        path,
      );
      nodes = record.definition.nodes;
      big = Object.keys(nodes).length > FULL_GRAPH_LIMIT;
      graph = drawGraph(nodes, select);
      mount(graphBox, graph.element);
      if (big) return refresh();
    }
    const current = run;
    mount(loadError);
    renderHeader(header, current);
    renderControls(current);
    graph?.update(new Map(Object.entries(current.nodes).map(([id, node]) => [id, node.status])));
    renderTable(current);
    await showPanel();
    main.dataset.status = current.status;
    main.dataset.ready = 'true';
    return ACTIVE.has(current.status) || current.control !== undefined;
  };

  const act = async (action: string, body?: unknown) => {
    try {
      mount(message);
      await tenantCall(session, 'POST', `${base}/${action}`, body);
      checked.clear();
      found = undefined;
      await refresh();
    } catch (error) {
      mount(message, errorBox(error));
    }
  };

  const renderControls = (current: RunView) => {
    const button = (label: string, action: string, enabled: boolean, body?: () => unknown) =>
      h(
        'button',
        {
          type: 'button',
          'data-action': action,
          disabled: !enabled,
          onclick: () => {
            // Cancelling cannot be undone (a retry reruns the cancelled nodes, not the lost work).
            if (action === 'cancel' && !window.confirm(`Cancel run ${runId}? Its running nodes are stopped.`))
              return;
            void act(action, body?.());
          },
        },
        label,
      );
    const retryable = RETRYABLE_RUN.has(current.status);
    const retryChosen = h(
      'button',
      { type: 'button', 'data-action': 'retry-selected', disabled: !retryable || checked.size === 0 },
      `Retry chosen nodes (${checked.size})`,
    );
    retryChosen.addEventListener('click', () => void act('retry', { nodes: [...checked] }));
    mount(
      controls,
      button('Pause', 'pause', current.status === 'RUNNING' || current.status === 'QUEUED'),
      button('Resume', 'resume', current.status === 'PAUSED'),
      button('Cancel', 'cancel', ACTIVE.has(current.status)),
      button('Retry failed', 'retry', retryable),
      retryChosen,
      current.control
        ? h('span', { class: 'note' }, `${current.control.action} in progress (${current.control.done} done)`)
        : null,
    );
  };

  const renderTable = (current: RunView) => {
    const rows = Object.entries(found ?? current.nodes).map(([id, node]) => {
      const box = h('input', {
        type: 'checkbox',
        'data-check': id,
        checked: checked.has(id),
        disabled: !RETRYABLE_NODE.has(node.status),
      });
      box.addEventListener('change', () => {
        if (box.checked) checked.add(id);
        else checked.delete(id);
        renderControls(current);
      });
      return h(
        'tr',
        { 'data-row': id },
        h('td', {}, box),
        h(
          'td',
          {},
          h(
            'a',
            {
              href: `#/runs/${seg(runId)}`,
              onclick: (event) => {
                event.preventDefault();
                select(id);
              },
            },
            id,
          ),
        ),
        h('td', {}, nodes?.[id]?.type ?? ''),
        h('td', {}, pill(node.status)),
        h('td', {}, node.attempts),
        h('td', {}, when(node.startedAt)),
        h('td', {}, duration(node.startedAt, node.endedAt)),
      );
    });
    const head = h(
      'tr',
      {},
      ...['', 'Node', 'Type', 'Status', 'Attempts', 'Started', 'Duration'].map((t) => h('th', {}, t)),
    );
    const pager = big ? [found ? null : tablePager(current), failedFinder(current)] : null;
    mount(table, pager, h('table', { 'data-table': 'nodes' }, h('thead', {}, head), h('tbody', {}, rows)));
  };

  /** On a big run: "Show failed and cancelled nodes" (scanned on demand), or back to the pages. */
  const failedFinder = (current: RunView) => {
    const count = (current.progress.byStatus.FAILED ?? 0) + (current.progress.byStatus.CANCELLED ?? 0);
    if (found) {
      const back = h('button', { type: 'button', 'data-action': 'nodes-all' }, 'Back to all nodes');
      back.addEventListener('click', () => {
        found = undefined;
        renderTable(current);
      });
      const shown = Object.keys(found).length;
      return h(
        'div',
        { class: 'row' },
        `${shown} failed or cancelled node${shown === 1 ? '' : 's'} shown`,
        back,
      );
    }
    if (count === 0) return null;
    const show = h(
      'button',
      { type: 'button', 'data-action': 'nodes-failed' },
      `Show the ${count} failed or cancelled nodes`,
    );
    show.addEventListener('click', async () => {
      show.disabled = true;
      try {
        found = await findNodes(session, runId, RETRYABLE_NODE);
        renderTable(run ?? current);
      } catch (error) {
        mount(message, errorBox(error));
      }
    });
    return h('div', { class: 'row' }, show);
  };

  const tablePager = (current: RunView) => {
    const first = at * TABLE_PAGE;
    const prev = h(
      'button',
      { type: 'button', 'data-action': 'nodes-prev', disabled: at === 0 },
      '← Previous',
    );
    const next = h(
      'button',
      { type: 'button', 'data-action': 'nodes-next', disabled: !current.nodesCursor },
      'Next →',
    );
    prev.addEventListener('click', () => {
      at = Math.max(0, at - 1);
      void refresh();
    });
    next.addEventListener('click', () => {
      cursors[at + 1] = current.nodesCursor;
      at += 1;
      void refresh();
    });
    const shown = Object.keys(current.nodes).length;
    const text = `nodes ${first + 1}–${first + shown} of ${current.progress.total}`;
    return h('div', { class: 'row' }, prev, h('span', { 'data-field': 'node-page' }, text), next);
  };

  const shown = () =>
    refresh().catch((error: unknown) => {
      mount(loadError, errorBox(error));
      return true;
    });
  const stop = keepLive(session, runId, shown, (mode) => {
    live.dataset.live = mode;
    live.textContent = mode === 'stream' ? '● live (event stream)' : '● live (polling every second)';
  });
  return stop;
}

function renderHeader(header: HTMLElement, run: RunView): void {
  const bar = h('div', { class: 'progress', title: JSON.stringify(run.progress.byStatus) });
  for (const status of ORDER) {
    const count = run.progress.byStatus[status] ?? 0;
    if (count === 0) continue;
    const part = h('span', { class: `s-${status}`, title: `${count} ${status}` });
    part.style.width = `${(100 * count) / Math.max(1, run.progress.total)}%`;
    bar.append(part);
  }
  const counts = ORDER.filter((s) => run.progress.byStatus[s]).map(
    (s) => `${run.progress.byStatus[s]} ${s.toLowerCase()}`,
  );
  mount(
    header,
    h('h1', {}, `Run ${run.runId} `, h('span', { 'data-field': 'run-status' }, pill(run.status))),
    h(
      'div',
      { class: 'row' },
      h(
        'a',
        { href: `#/workflows/${seg(run.workflow)}/${seg(run.version)}` },
        `${run.workflow}@${run.version}`,
      ),
      h(
        'span',
        { class: 'note' },
        `created ${when(run.createdAt)} · ${duration(run.createdAt, run.endedAt)}`,
      ),
    ),
    h(
      'div',
      { class: 'row' },
      bar,
      h(
        'span',
        { 'data-field': 'progress' },
        `${run.progress.done}/${run.progress.total} nodes done (${run.progress.percent}%)`,
      ),
      h('span', { class: 'note' }, counts.join(' · ')),
    ),
    run.error ? errorBox(`${run.error.code}: ${run.error.message}`) : null,
    h(
      'details',
      { 'data-view': 'run-io', open: header.querySelector<HTMLDetailsElement>('[data-view=run-io]')?.open },
      h('summary', {}, run.outputs === undefined ? 'Inputs' : 'Inputs and outputs'),
      h('pre', {}, json(run.inputs)),
      run.outputs === undefined ? null : h('pre', { 'data-view': 'run-outputs' }, json(run.outputs)),
    ),
  );
}
