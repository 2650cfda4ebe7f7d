import { call, currentSession, type Session, saveSession } from './api.ts';
import { errorBox, h, mount } from './dom.ts';
import { runPage } from './run-page.ts';
import { runsPage } from './runs-page.ts';
import { workflowPage, workflowsPage } from './workflows-page.ts';

/** What a page leaves running (a stream, a timer): stopped when another page opens. */
export type Cleanup = () => void;

/**
 * The single page: hash routes (`#/workflows`, `#/workflows/{wf}`, `#/runs`, `#/runs/{run}`), so
 * the server serves one file at `/`. Without a session every route shows the login form.
 */
function route(): void {
  cleanup?.();
  cleanup = undefined;
  const main = document.getElementById('main') as HTMLElement;
  const session = currentSession();
  renderNav(session);
  if (!session) {
    loginPage(main);
    return;
  }
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  const result =
    parts[0] === 'runs' && parts[1]
      ? runPage(main, session, parts[1])
      : parts[0] === 'runs'
        ? runsPage(main, session, params)
        : parts[0] === 'workflows' && parts[1]
          ? workflowPage(main, session, parts[1], parts[2])
          : workflowsPage(main, session);
  cleanup = result ?? undefined;
}

let cleanup: Cleanup | undefined;

function renderNav(session: Session | undefined): void {
  const nav = document.getElementById('nav') as HTMLElement;
  if (!session) {
    mount(nav);
    return;
  }
  const logout = h(
    'button',
    {
      type: 'button',
      'data-action': 'logout',
      onclick: () => {
        saveSession(undefined);
        location.hash = '#/workflows';
        route();
      },
    },
    'Log out',
  );
  mount(
    nav,
    h('a', { href: '#/workflows' }, 'Workflows'),
    h('a', { href: '#/runs' }, 'Runs'),
    h('span', { class: 'who' }, `tenant ${session.tenant}`),
    logout,
  );
}

/** Checks a key by listing the tenant's workflows (a wrong key is a 401, another tenant's a 403). */
function loginPage(main: HTMLElement): void {
  const key = h('input', {
    name: 'key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    placeholder: 'skein_…',
  });
  const tenant = h('input', { name: 'tenant', value: 'demo', required: true });
  const status = h('div');
  const form = h(
    'form',
    { class: 'login' },
    h('h1', {}, 'Sign in to Skein'),
    h('label', {}, 'API key', h('br'), key),
    h('label', {}, 'Tenant', h('br'), tenant),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'),
    h(
      'p',
      { class: 'note' },
      'The key stays in this tab (sessionStorage) and is sent only in the Authorization header.',
    ),
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const session = { key: key.value.trim(), tenant: tenant.value.trim() };
    try {
      await call(session, 'GET', `/v1/tenants/${encodeURIComponent(session.tenant)}/workflows?limit=1`);
      saveSession(session);
      if (!location.hash || location.hash === '#/') location.hash = '#/workflows';
      route();
    } catch (error) {
      mount(status, errorBox(error));
    }
  });
  mount(main, form);
  key.focus();
}

window.addEventListener('hashchange', route);
route();
