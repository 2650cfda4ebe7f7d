/**
 * The UI's one way to the API: `fetch` to the same origin's `/v1`, the key in the `Authorization`
 * header (never in a URL), the session (key and tenant) in `sessionStorage` so it ends with the tab.
 */
export interface Session {
  readonly key: string;
  readonly tenant: string;
}

const SESSION = 'skein.session';

export function currentSession(): Session | undefined {
  const saved = sessionStorage.getItem(SESSION);
  if (!saved) return undefined;
  try {
    const parsed = JSON.parse(saved) as Partial<Session>;
    return typeof parsed.key === 'string' && typeof parsed.tenant === 'string'
      ? { key: parsed.key, tenant: parsed.tenant }
      : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(SESSION, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION);
}

/** An answer other than 2xx, with the API's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function headersOf(session: Session, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${session.key}`, ...extra };
}

/** `/v1/tenants/{tenant}` + `path`, each dynamic part encoded by the caller with `seg`. */
export function tenantPath(session: Session, path: string): string {
  return `/v1/tenants/${encodeURIComponent(session.tenant)}${path}`;
}

export const seg = encodeURIComponent;

/** Calls the API; resolves the JSON body of a 2xx, rejects with an {@link ApiError} otherwise. */
export async function call<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headersOf(session, body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status === 401 && currentSession()?.key === session.key) {
    // The key was revoked or expired: back to the sign-in form.
    saveSession(undefined);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'HTTP', error?.message ?? `HTTP ${response.status}`);
  }
  return parsed as T;
}

/** A tenant call: `call(session, method, tenantPath(session, path), body)`. */
export function tenantCall<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  return call<T>(session, method, tenantPath(session, path), body);
}

/** A run as the run listing answers it (`GET .../runs`); the run view adds its nodes and progress. */
export interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  readonly version: string;
  readonly status: string;
  readonly createdAt: string;
  readonly endedAt?: string;
  readonly error?: { code: string; message: string };
}
