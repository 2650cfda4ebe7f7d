import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';

/** Documents the web UI's routes (served without a key: the files hold no data). */
export function documentUiRoutes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  const file = (type: string, description: string) => ({
    description,
    content: { [type]: { schema: z.string() } },
  });
  registry.registerPath({
    method: 'get',
    path: '/',
    summary: 'The web UI (sign in with an API key; the page holds no data)',
    responses: { 200: file('text/html', 'The page'), 304: { description: 'Not modified (ETag)' } },
  });
  registry.registerPath({
    method: 'get',
    path: '/ui/{file}',
    summary: 'The web UI’s script and stylesheet',
    request: { params: z.object({ file: z.string().regex(/^[a-z0-9-]+\.(?:js|css)$/) }) },
    responses: {
      200: file('text/javascript', 'The file (text/css for a stylesheet)'),
      304: { description: 'Not modified (ETag)' },
      404: { description: 'No such file' },
    },
  });
}
