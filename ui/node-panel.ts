import { ApiError, type Session, seg, tenantCall } from './api.ts';
import { duration, errorBox, h, json, mount, pill, when } from './dom.ts';

/** A node of the run view (GET .../runs/{run}). */
export interface NodeView {
  readonly status: string;
  readonly attempts: number;
  readonly output?: unknown;
  readonly error?: { code: string; message: string; details?: unknown };
  readonly reason?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly wakeAt?: string;
  readonly token?: string;
  readonly childRunId?: string;
  readonly items?: { total: number; lanes: number };
}

/** The node's definition, as far as the panel shows it. */
export interface NodeDefinition {
  readonly type?: string;
  readonly needs?: readonly string[];
  readonly with?: unknown;
  readonly [key: string]: unknown;
}

interface LogPage {
  readonly attempt: number;
  readonly lines: { ts: string; level: string; message: string }[];
  readonly truncated: boolean;
}

/**
 * The node detail panel: status and timings, its inputs (the definition's `with`, and the run's
 * inputs and parents' outputs it reads: the API keeps no evaluated inputs), output, error, a
 * callback's completion form, and the Logs tab per attempt.
 */
export function nodePanel(
  session: Session,
  runId: string,
  nodeId: string,
  node: NodeView,
  definition: NodeDefinition | undefined,
  /** What the node's `with` reads: the run's inputs and its parents' outputs (by parent id). */
  reads: { readonly runInputs: unknown; readonly parents: Readonly<Record<string, unknown>> },
  afterAction: () => void,
): HTMLElement {
  const base = `/runs/${seg(runId)}/nodes/${seg(nodeId)}`;
  const body = h('div');
  const tabs: Record<string, () => Node> = {
    Details: () =>
      h(
        'dl',
        {},
        h('dt', {}, 'Status'),
        h('dd', {}, pill(node.status)),
        h('dt', {}, 'Type'),
        h('dd', {}, definition?.type ?? ''),
        h('dt', {}, 'Attempts'),
        h('dd', { 'data-field': 'attempts' }, node.attempts),
        h('dt', {}, 'Started'),
        h('dd', {}, when(node.startedAt)),
        h('dt', {}, 'Ended'),
        h('dd', {}, when(node.endedAt)),
        h('dt', {}, 'Duration'),
        h('dd', {}, duration(node.startedAt, node.endedAt)),
        node.wakeAt ? [h('dt', {}, 'Wakes at'), h('dd', {}, when(node.wakeAt))] : null,
        node.reason ? [h('dt', {}, 'Reason'), h('dd', {}, node.reason)] : null,
        node.items
          ? [h('dt', {}, 'Items'), h('dd', {}, `${node.items.total} in ${node.items.lanes} lanes`)]
          : null,
        node.childRunId
          ? [
              h('dt', {}, 'Child run'),
              h('dd', {}, h('a', { href: `#/runs/${seg(node.childRunId)}` }, node.childRunId)),
            ]
          : null,
        h('dt', {}, 'Needs'),
        h('dd', {}, (definition?.needs ?? []).join(', ') || '—'),
      ),
    Inputs: () =>
      h(
        'div',
        {},
        h(
          'p',
          { class: 'note' },
          "The node's \"with\" (expressions over the run's inputs and parents' outputs):",
        ),
        h('pre', {}, json(definition?.with ?? {})),
        h('p', { class: 'note' }, "The run's inputs:"),
        h('pre', {}, json(reads.runInputs)),
        Object.keys(reads.parents).length === 0
          ? null
          : [
              h('p', { class: 'note' }, "The parents' outputs:"),
              h('pre', { 'data-view': 'parents' }, json(reads.parents)),
            ],
      ),
    Output: () =>
      h('pre', { 'data-view': 'output' }, node.output === undefined ? 'No output.' : json(node.output)),
    Error: () => h('pre', { 'data-view': 'error' }, node.error ? json(node.error) : 'No error.'),
    Logs: () => logsView(session, base, node.attempts),
  };
  const buttons = Object.keys(tabs).map((name) =>
    h('button', { type: 'button', role: 'tab', 'data-tab': name, onclick: () => select(name) }, name),
  );
  const select = (name: string) => {
    for (const b of buttons) b.setAttribute('aria-selected', String(b.dataset.tab === name));
    mount(body, (tabs[name] as () => Node)());
  };
  select(node.error ? 'Error' : 'Details');
  return h(
    'aside',
    { class: 'panel', 'data-panel': nodeId },
    h('h2', {}, `Node ${nodeId} `, pill(node.status)),
    node.status === 'WAITING' && node.token ? completeForm(session, base, node.token, afterAction) : null,
    h('div', { class: 'tabs', role: 'tablist' }, buttons),
    body,
  );
}

/** Logs of one attempt (`GET .../nodes/{node}/logs?attempt=N`); "No logs." on 404 or none. */
function logsView(session: Session, base: string, attempts: number): HTMLElement {
  const out = h('div', { class: 'logs', 'data-view': 'logs' }, 'Loading…');
  const choose = h(
    'select',
    { 'data-field': 'attempt' },
    ...Array.from({ length: Math.max(1, attempts) }, (_, i) =>
      h('option', { value: i + 1 }, `attempt ${i + 1}`),
    ),
  );
  choose.value = String(Math.max(1, attempts));
  const load = async () => {
    try {
      const page = await tenantCall<LogPage>(session, 'GET', `${base}/logs?attempt=${choose.value}`);
      if (page.lines.length === 0) {
        mount(out, h('p', { class: 'note' }, 'No logs.'));
        return;
      }
      mount(
        out,
        h(
          'pre',
          {},
          ...page.lines.map((line) =>
            h('div', { class: line.level }, `${line.ts} ${line.level.padEnd(5)} ${line.message}`),
          ),
        ),
        page.truncated ? h('p', { class: 'note' }, 'Truncated: the attempt logged more than is kept.') : null,
      );
    } catch (error) {
      mount(
        out,
        error instanceof ApiError && error.status === 404
          ? h('p', { class: 'note' }, 'No logs.')
          : errorBox(error),
      );
    }
  };
  choose.addEventListener('change', () => void load());
  void load();
  return h('div', {}, h('div', { class: 'row' }, choose), out);
}

/** Completes a waiting callback node with an output (JSON), using the token the run view shows. */
function completeForm(session: Session, base: string, token: string, afterAction: () => void): HTMLElement {
  const output = h('textarea', { rows: 3, cols: 40, 'data-field': 'callback-output' });
  output.value = '{"approved": true}';
  const status = h('div');
  const submit = h(
    'button',
    { class: 'primary', type: 'button', 'data-action': 'complete' },
    'Complete node',
  );
  submit.addEventListener('click', async () => {
    try {
      await tenantCall(session, 'POST', `${base}/complete`, { token, output: JSON.parse(output.value) });
      mount(status, h('p', { class: 'note' }, 'Completed.'));
      afterAction();
    } catch (error) {
      mount(status, errorBox(error));
    }
  });
  return h(
    'div',
    {},
    h('p', {}, 'This node waits for a completion. Output (JSON):'),
    output,
    h('div', { class: 'row' }, submit),
    status,
  );
}
