import type { MiddlewareHandler } from 'hono';

/**
 * Keeps a keep-alive connection usable after an answer given without reading the request's body
 * (a bad key, another tenant, an unknown run, a route that takes no body, a bad content type).
 *
 * Node's HTTP server can reuse such a socket only once the rest of the body is off the wire;
 * `@hono/node-server` drains it after the answer but drops the socket if that takes over 500 ms,
 * and a client told "keep-alive" then sends its next request on a dead connection and gets a
 * reset instead of an answer. So the body (at most the 1 MB the body limit allows) is read here,
 * before the answer goes out. A body over the limit (413) is not read: that answer says
 * `Connection: close`, and so does one whose body could not be read.
 * On AWS, API Gateway owns the client connection and ignores the header.
 * @example app.use('*', drainUnreadBody); // before the body limit
 */
export const drainUnreadBody: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.status === 413) {
    c.res.headers.set('Connection', 'close');
    return;
  }
  const length = c.req.header('content-length');
  const hasBody = length === undefined ? c.req.header('transfer-encoding') !== undefined : Number(length) > 0;
  if (!hasBody || c.req.raw.bodyUsed) return;
  try {
    // The body-limit middleware has already refused a declared length over 1 MB, and it caps
    // a chunked body (reading past the limit throws).
    await c.req.raw.arrayBuffer();
  } catch {
    c.res.headers.set('Connection', 'close');
  }
};
