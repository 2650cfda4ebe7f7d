import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { createApp } from '../../shared/api/app.ts';
import { readUiAssets, UI_CSP, type UiAssets } from '../../shared/api/ui-routes.ts';
import { sequentialIds } from '../../shared/ports/ids.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { buildUi } from '../../ui/build.ts';

const ASSETS: UiAssets = {
  'index.html': '<!doctype html><script type="module" src="/ui/app.js"></script>',
  'app.js': 'console.log("ui")',
  'app.css': 'body{}',
};

function appWith(ui: UiAssets | undefined) {
  const harness = new WorkflowHarness();
  return createApp({
    definitions: harness.definitions,
    clock: harness.clock,
    storeName: 'memory',
    apiKeys: new MemoryApiKeyStore(),
    ids: sequentialIds('key'),
    ...(ui && { ui }),
  });
}

describe('the web UI routes', () => {
  it('serve the page at / without a key, only this origin allowed to run scripts or be called', async () => {
    // Act
    const response = await appWith(ASSETS).request('/');
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(UI_CSP);
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).toContain("connect-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(ASSETS['index.html']);
  });

  it('serve the script and the stylesheet under /ui/ with their types, and nothing else', async () => {
    // Prepare
    const app = appWith(ASSETS);
    // Act
    const script = await app.request('/ui/app.js');
    const style = await app.request('/ui/app.css');
    const unknown = await app.request('/ui/other.js');
    const climbing = await app.request('/ui/..%2Fpackage.json');
    // Assess
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe(ASSETS['app.js']);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect(climbing.status).toBe(404);
  });

  it('answer a revalidation of an unchanged file with 304 and no body', async () => {
    // Prepare
    const app = appWith(ASSETS);
    const first = await app.request('/ui/app.js');
    const tag = first.headers.get('etag') ?? '';
    // Act
    const again = await app.request('/ui/app.js', { headers: { 'if-none-match': tag } });
    // Assess
    expect(tag).not.toBe('');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('leave every /v1 route behind the key', async () => {
    // Act
    const app = appWith(ASSETS);
    const response = await app.request('/v1/tenants/test/workflows');
    const documented = await app.request('/openapi.json');
    // Assess: and the UI's middleware (ETag) stays on the UI's paths.
    expect(response.status).toBe(401);
    expect(documented.status).toBe(200);
    expect(documented.headers.get('etag')).toBeNull();
  });

  it('are absent from a server given no UI files', async () => {
    // Act
    const response = await appWith(undefined).request('/');
    // Assess
    expect(response.status).toBe(404);
  });
});

describe('readUiAssets', () => {
  it('reads the three files the API function bundles beside index.mjs, or none when one is missing', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'skein-ui-'));
    const ui = join(dir, 'ui');
    mkdirSync(ui);
    writeFileSync(join(ui, 'index.html'), 'page');
    writeFileSync(join(ui, 'app.js'), 'script');
    // Act
    const partial = readUiAssets(ui);
    writeFileSync(join(ui, 'app.css'), 'style');
    const whole = readUiAssets(ui);
    rmSync(dir, { recursive: true, force: true });
    // Assess
    expect(partial).toBeUndefined();
    expect(whole).toEqual({ 'index.html': 'page', 'app.js': 'script', 'app.css': 'style' });
  });
});

describe('buildUi', () => {
  it('bundles the files the page loads, the script minified and self-contained', async () => {
    // Act
    const files = await buildUi();
    // Assess
    expect(Object.keys(files).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    expect(files['index.html']).toContain('src="/ui/app.js"');
    expect(files['index.html']).toContain('href="/ui/app.css"');
    expect(files['app.js']).not.toMatch(/^import /m);
    expect(files['app.js']?.length).toBeGreaterThan(20_000);
  });
});
