import { type RunSummary, type Session, seg, tenantCall } from './api.ts';
import { duration, errorBox, h, mount, pill, when } from './dom.ts';

const RUN_STATUSES = ['QUEUED', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
/** The time filter: runs created in the last … (the listing is newest first, so paging stops there). */
const WINDOWS: Record<string, number> = { '': 0, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const PAGE = 25;

/**
 * `#/runs?workflow=&status=&since=`: the runs list, newest first, filtered by workflow and status
 * (by the API) and by creation time (here: the listing is newest first, so the first run older than
 * the window ends it), paged with the API's cursor.
 */
export function runsPage(main: HTMLElement, session: Session, params: URLSearchParams): undefined {
  const workflow = h('input', {
    name: 'workflow',
    placeholder: 'any workflow',
    value: params.get('workflow') ?? '',
  });
  const status = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'any status'),
    ...RUN_STATUSES.map((s) => h('option', { value: s, selected: s === params.get('status') }, s)),
  );
  const since = h(
    'select',
    { name: 'since' },
    ...Object.keys(WINDOWS).map((w) =>
      h('option', { value: w, selected: w === (params.get('since') ?? '') }, w ? `last ${w}` : 'any time'),
    ),
  );
  const filters = h(
    'form',
    { class: 'row' },
    'Workflow',
    workflow,
    'Status',
    status,
    'Created',
    since,
    h('button', { type: 'submit' }, 'Filter'),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (workflow.value.trim()) query.set('workflow', workflow.value.trim());
    if (status.value) query.set('status', status.value);
    if (since.value) query.set('since', since.value);
    location.hash = `#/runs?${query}`;
  });
  const body = h('tbody');
  const message = h('div');
  const prev = h('button', { type: 'button', 'data-action': 'prev' }, '← Newer');
  const next = h('button', { type: 'button', 'data-action': 'next' }, 'Older →');
  const cursors: (string | undefined)[] = [undefined];
  let at = 0;
  let nextCursor: string | undefined;
  const windowMs = WINDOWS[params.get('since') ?? ''] ?? 0;

  const load = async () => {
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      for (const name of ['workflow', 'status']) {
        const value = params.get(name);
        if (value) query.set(name, value);
      }
      const cursor = cursors[at];
      if (cursor) query.set('cursor', cursor);
      const page = await tenantCall<{ items: RunSummary[]; cursor?: string }>(
        session,
        'GET',
        `/runs?${query}`,
      );
      const oldest = windowMs > 0 ? Date.now() - windowMs : 0;
      const shown = page.items.filter((run) => Date.parse(run.createdAt) >= oldest);
      const ended = shown.length < page.items.length;
      nextCursor = ended ? undefined : page.cursor;
      mount(body, ...shown.map(row));
      if (shown.length === 0) mount(body, h('tr', {}, h('td', { colspan: 6, class: 'note' }, 'No runs.')));
      prev.disabled = at === 0;
      next.disabled = nextCursor === undefined;
    } catch (error) {
      mount(message, errorBox(error));
    }
  };
  prev.addEventListener('click', () => {
    at = Math.max(0, at - 1);
    void load();
  });
  next.addEventListener('click', () => {
    if (nextCursor === undefined) return;
    cursors[at + 1] = nextCursor;
    at += 1;
    void load();
  });
  const head = h(
    'tr',
    {},
    ...['Run', 'Workflow', 'Status', 'Created', 'Duration', 'Error'].map((t) => h('th', {}, t)),
  );
  mount(
    main,
    h('h1', {}, 'Runs'),
    filters,
    message,
    h('table', { 'data-table': 'runs' }, h('thead', {}, head), body),
    h('div', { class: 'row' }, prev, next),
  );
  void load();
  return undefined;
}

function row(run: RunSummary): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-run': run.runId },
    h('td', {}, h('a', { href: `#/runs/${seg(run.runId)}` }, run.runId)),
    h(
      'td',
      {},
      h(
        'a',
        { href: `#/workflows/${seg(run.workflow)}/${seg(run.version)}` },
        `${run.workflow}@${run.version}`,
      ),
    ),
    h('td', {}, pill(run.status)),
    h('td', {}, when(run.createdAt)),
    h('td', {}, run.endedAt ? duration(run.createdAt, run.endedAt) : ''),
    h('td', {}, run.error ? `${run.error.code}: ${run.error.message}` : ''),
  );
}
