import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { errorBody } from './errors.ts';

/** The web UI's files by name: `index.html` (served at `/`) and the assets served at `/ui/{name}`. */
export type UiAssets = Readonly<Record<string, string>>;

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * Only the page's own files run, and it talks only to this origin: no inline script, no framing,
 * no form posting elsewhere. The key is sent by `fetch` in a header, so nothing here carries one.
 */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The web UI: `GET /` (the page) and `GET /ui/{file}` (its script and stylesheet). The files hold no
 * data and need no key; every data call of the page goes to `/v1` with the key in a header.
 * @example app.route('/', uiRoutes(await buildUi()))
 */
export function uiRoutes(assets: UiAssets | undefined) {
  const app = new Hono();
  const serve = (name: string) => {
    const body = assets?.[name];
    const type = TYPES[name.split('.').pop() ?? ''];
    if (body === undefined || type === undefined) return undefined;
    return new Response(body, {
      headers: {
        'content-type': type,
        'content-security-policy': UI_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        // The page is small and changes with each deployment: always revalidated.
        'cache-control': 'no-cache',
      },
    });
  };
  const missing = () =>
    Response.json(
      errorBody('NOT_FOUND', assets ? 'no such UI file' : 'this server was started without the web UI'),
      { status: 404 },
    );
  // Revalidated on every load (no-cache), answered 304 without the body while unchanged.
  // Only on the UI's paths: this app is mounted at `/`, so `*` would reach every API route too.
  for (const path of ['/', '/ui/*']) app.use(path, etag());
  app.get('/', () => serve('index.html') ?? missing());
  app.get('/ui/:file{[a-z0-9-]+\\.(?:js|css)}', (c) => serve(c.req.param('file')) ?? missing());
  return app;
}

/**
 * The UI files bundled next to the API function (`ui/` beside `index.mjs`, written by the
 * bundling's afterBundling hook); undefined when they are not there.
 */
export function readUiAssets(dir: string): UiAssets | undefined {
  const names = ['index.html', 'app.js', 'app.css'];
  if (!names.every((name) => existsSync(join(dir, name)))) return undefined;
  return Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}
