import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SkeinError } from '../domain/problems.ts';

/** The one error shape of the API: `{"error":{"code","message","path?","errors?"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; path?: string; errors?: unknown };
}

export function errorBody(code: string, message: string, path?: string, errors?: unknown): ErrorBody {
  return {
    error: { code, message, ...(path !== undefined && { path }), ...(errors !== undefined && { errors }) },
  };
}

/** Maps any thrown error to the error shape; unexpected errors are logged and never leak a stack. */
export function onError(log: (message: string, error: unknown) => void) {
  return (error: Error, c: Context) => {
    if (error instanceof SkeinError) {
      return c.json(errorBody(error.code, error.message, error.path, error.details), error.status);
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return c.json(
        errorBody(status === 413 ? 'TOO_LARGE' : 'BAD_REQUEST', error.message || 'bad request'),
        status,
      );
    }
    log('unhandled error', error);
    return c.json(errorBody('INTERNAL', 'internal error; the request was logged'), 500);
  };
}

export const notFound = (c: Context) =>
  c.json(
    errorBody('NOT_FOUND', `no route for ${c.req.method} ${new URL(c.req.url).pathname}; see /openapi.json`),
    404,
  );
