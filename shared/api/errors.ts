import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type RefusalKind, SkeinError } from '../domain/problems.ts';

/** The HTTP status of each kind of refusal: HTTP lives here, not in the domain. */
export const REFUSAL_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
} as const satisfies Record<RefusalKind, ContentfulStatusCode>;

/** The kind of refusal an HTTP error status means (a client reading the API's answers). */
export function refusalKindOf(status: number): RefusalKind {
  const found = Object.entries(REFUSAL_STATUS).find(([, code]) => code === status);
  return found ? (found[0] as RefusalKind) : 'invalid';
}

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
      return c.json(
        errorBody(error.code, error.message, error.path, error.details),
        REFUSAL_STATUS[error.kind],
      );
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
