import { createTwoFilesPatch } from 'diff';
import { dump } from 'js-yaml';
import { type Session, seg, tenantCall } from './api.ts';
import { errorBox, h, json, mount, when } from './dom.ts';
import { drawGraph, type GraphNode } from './graph.ts';

interface WorkflowSummary {
  readonly workflowId: string;
  readonly latest: string;
  readonly versionCount: number;
  readonly description?: string;
  readonly updatedAt: string;
}
interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}
interface WorkflowDetail extends WorkflowSummary {
  readonly versions: { version: string; digest: string; publishedAt: string; description?: string }[];
  readonly dependents: { workflowId: string; version: string; nodeId: string; range: string }[];
  readonly runs?: Record<string, number>;
}
interface Trigger {
  readonly triggerId: string;
  readonly type: string;
  readonly workflow: string;
  readonly version?: string;
  readonly enabled: boolean;
  readonly cron?: { expression?: string; timezone?: string };
}
export interface Definition {
  readonly nodes: Record<string, GraphNode>;
  readonly inputs?: Record<string, { default?: unknown }>;
}

/** `#/workflows`: the tenant's workflows, a page at a time. */
export function workflowsPage(main: HTMLElement, session: Session): undefined {
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'More');
  const status = h('div');
  let cursor: string | undefined;
  const load = async () => {
    try {
      const query = `?limit=50${cursor ? `&cursor=${seg(cursor)}` : ''}`;
      const page = await tenantCall<Page<WorkflowSummary>>(session, 'GET', `/workflows${query}`);
      for (const wf of page.items) {
        body.append(
          h(
            'tr',
            { 'data-workflow': wf.workflowId },
            h('td', {}, h('a', { href: `#/workflows/${seg(wf.workflowId)}` }, wf.workflowId)),
            h('td', {}, wf.latest),
            h('td', {}, wf.versionCount),
            h('td', {}, wf.description ?? ''),
            h('td', {}, when(wf.updatedAt)),
          ),
        );
      }
      cursor = page.cursor;
      more.hidden = cursor === undefined;
    } catch (error) {
      mount(status, errorBox(error));
    }
  };
  more.addEventListener('click', () => void load());
  const head = h(
    'tr',
    {},
    ...['Workflow', 'Latest', 'Versions', 'Description', 'Updated'].map((t) => h('th', {}, t)),
  );
  mount(main, h('h1', {}, 'Workflows'), status, h('table', {}, h('thead', {}, head), body), more);
  void load();
  return undefined;
}

/** `#/workflows/{wf}[/{version}]`: versions, the version's DAG, YAML and JSON, a diff, dependents, triggers. */
export function workflowPage(
  main: HTMLElement,
  session: Session,
  workflowId: string,
  chosen?: string,
): undefined {
  mount(main, h('h1', {}, workflowId), h('p', {}, 'Loading…'));
  void (async () => {
    try {
      const base = `/workflows/${seg(workflowId)}`;
      const [detail, triggers] = await Promise.all([
        tenantCall<WorkflowDetail>(session, 'GET', base),
        tenantCall<Page<Trigger>>(session, 'GET', '/triggers?limit=100').catch(() => ({
          items: [] as Trigger[],
        })),
      ]);
      const version = chosen ?? detail.latest;
      const record = await tenantCall<{ definition: Definition }>(
        session,
        'GET',
        `${base}/versions/${seg(version)}`,
      );
      const versions = h(
        'select',
        {
          'data-field': 'version',
          onchange: (event) => {
            location.hash = `#/workflows/${seg(workflowId)}/${seg((event.target as HTMLSelectElement).value)}`;
          },
        },
        ...detail.versions.map((v) =>
          h('option', { value: v.version, selected: v.version === version }, v.version),
        ),
      );
      mount(
        main,
        h('h1', {}, `${workflowId}@${version}`),
        h('p', { class: 'note' }, detail.description ?? ''),
        h(
          'div',
          { class: 'row' },
          h('label', {}, 'Version ', versions),
          h('a', { href: `#/runs?workflow=${seg(workflowId)}` }, 'Runs of this workflow'),
          detail.runs ? h('span', { class: 'note' }, runCounts(detail.runs)) : null,
        ),
        startForm(session, workflowId, version, record.definition),
        definitionTabs(session, workflowId, version, detail, record.definition),
        h('h2', {}, 'Versions'),
        table(
          ['Version', 'Published', 'Digest', 'Description'],
          detail.versions.map((v) => [
            v.version,
            when(v.publishedAt),
            v.digest.slice(0, 12),
            v.description ?? '',
          ]),
        ),
        h('h2', {}, 'Dependents (workflows calling this one)'),
        detail.dependents.length === 0
          ? h('p', { class: 'note' }, 'None.')
          : table(
              ['Workflow', 'Version', 'Node', 'Range'],
              detail.dependents.map((d) => [d.workflowId, d.version, d.nodeId, d.range]),
            ),
        h('h2', {}, 'Triggers'),
        triggerTable(triggers.items.filter((t) => t.workflow === workflowId)),
      );
    } catch (error) {
      mount(main, h('h1', {}, workflowId), errorBox(error));
    }
  })();
  return undefined;
}

function runCounts(runs: Record<string, number>): string {
  return Object.entries(runs)
    .map(([status, count]) => `${count} ${status.toLowerCase()}`)
    .join(' · ');
}

function table(heads: string[], rows: (string | number)[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell))))),
  );
}

function triggerTable(triggers: Trigger[]): HTMLElement {
  if (triggers.length === 0) return h('p', { class: 'note' }, 'None.');
  return table(
    ['Trigger', 'Type', 'Version', 'Schedule', 'Enabled'],
    triggers.map((t) => [
      t.triggerId,
      t.type,
      t.version ?? 'latest',
      t.cron ? `${t.cron.expression ?? ''} ${t.cron.timezone ?? ''}` : '',
      t.enabled ? 'yes' : 'no',
    ]),
  );
}

/** "Start a run": the inputs as JSON (the definition's defaults prefilled), then the run's page. */
function startForm(
  session: Session,
  workflowId: string,
  version: string,
  definition: Definition,
): HTMLElement {
  const defaults = Object.fromEntries(
    Object.entries(definition.inputs ?? {})
      .filter(([, spec]) => spec.default !== undefined)
      .map(([name, spec]) => [name, spec.default]),
  );
  const inputs = h('textarea', { rows: 3, cols: 60, 'data-field': 'inputs' });
  inputs.value = JSON.stringify(defaults);
  const status = h('div');
  const start = h('button', { class: 'primary', type: 'button', 'data-action': 'start' }, 'Start run');
  start.addEventListener('click', async () => {
    try {
      const parsed: unknown = JSON.parse(inputs.value || '{}');
      const run = await tenantCall<{ runId: string }>(session, 'POST', `/workflows/${seg(workflowId)}/runs`, {
        version,
        inputs: parsed,
      });
      location.hash = `#/runs/${seg(run.runId)}`;
    } catch (error) {
      mount(status, errorBox(error));
    }
  });
  return h(
    'details',
    {},
    h('summary', {}, 'Start a run'),
    h('div', { class: 'row' }, 'Inputs (JSON)', inputs, start),
    status,
  );
}

const yamlOf = (value: unknown) => dump(value, { lineWidth: 120, noRefs: true });

/** Graph, YAML, JSON and Diff tabs over one version's definition. */
function definitionTabs(
  session: Session,
  workflowId: string,
  version: string,
  detail: WorkflowDetail,
  definition: Definition,
): HTMLElement {
  const panel = h('div');
  const show: Record<string, () => Node> = {
    Graph: () => drawGraph(definition.nodes).element,
    YAML: () => h('pre', { 'data-view': 'yaml' }, yamlOf(definition)),
    JSON: () => h('pre', { 'data-view': 'json' }, json(definition)),
    Diff: () => diffView(session, workflowId, version, detail),
  };
  const buttons = Object.keys(show).map((name) =>
    h('button', { type: 'button', role: 'tab', 'data-tab': name, onclick: () => select(name) }, name),
  );
  const select = (name: string) => {
    for (const b of buttons) b.setAttribute('aria-selected', String(b.dataset.tab === name));
    mount(panel, (show[name] as () => Node)());
  };
  select('Graph');
  return h('section', {}, h('div', { class: 'tabs', role: 'tablist' }, buttons), panel);
}

/** A unified diff of two versions' YAML, as `skein workflows diff` prints it. */
function diffView(
  session: Session,
  workflowId: string,
  version: string,
  detail: WorkflowDetail,
): HTMLElement {
  const others = detail.versions.map((v) => v.version);
  const from = h('select', { 'data-field': 'from' }, ...others.map((v) => h('option', { value: v }, v)));
  const to = h(
    'select',
    { 'data-field': 'to' },
    ...others.map((v) => h('option', { value: v, selected: v === version }, v)),
  );
  from.value = others.find((v) => v !== version) ?? version;
  const out = h('pre', { class: 'diff', 'data-view': 'diff' });
  const render = async () => {
    try {
      const read = (v: string) =>
        tenantCall<{ definition: unknown }>(
          session,
          'GET',
          `/workflows/${seg(workflowId)}/versions/${seg(v)}`,
        );
      const [a, b] = await Promise.all([read(from.value), read(to.value)]);
      const patch = createTwoFilesPatch(
        `${workflowId}@${from.value}`,
        `${workflowId}@${to.value}`,
        yamlOf(a.definition),
        yamlOf(b.definition),
      );
      const lines = patch.split('\n').slice(2);
      mount(
        out,
        lines.length <= 2 ? 'The two versions are identical.' : '',
        ...lines.map((line) =>
          h(
            'div',
            {
              class: line.startsWith('@@')
                ? 'hunk'
                : line.startsWith('+')
                  ? 'add'
                  : line.startsWith('-')
                    ? 'del'
                    : '',
            },
            line || ' ',
          ),
        ),
      );
    } catch (error) {
      mount(out, errorBox(error));
    }
  };
  from.addEventListener('change', () => void render());
  to.addEventListener('change', () => void render());
  void render();
  return h('div', {}, h('div', { class: 'row' }, 'From ', from, ' to ', to), out);
}
