/**
 * Secrets in `http` requests: the references `{% $secret('name') %}` left in the evaluated
 * headers and body are swapped for the tenant's values just before sending, and any value that
 * comes back (an echoing server, an error quoting a header) is redacted from what the node
 * stores. See `ports/secrets.ts`.
 */
import { type ExecutionResult, failure } from '../ports/executor.ts';
import { redactSecrets, redactText, type Secrets, secretNamesIn, withSecrets } from '../ports/secrets.ts';

/** What an `http` node sends: headers and body may hold references. */
export interface SecretCarrier {
  readonly url: string;
  readonly headers?: Record<string, string> | undefined;
  readonly body?: unknown;
}

export type Resolved<T> =
  | { readonly ok: true; readonly request: T; readonly values: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly result: ExecutionResult };

/**
 * The request with every reference in its headers and body replaced by the tenant's value, and
 * the values used (for `redactResult`). A reference in the URL, a secret that is not set or no
 * secret store fail the node at once (`final`): the same request would fail again.
 */
export async function resolveSecrets<T extends SecretCarrier>(
  request: T,
  secrets: Secrets | undefined,
  tenant: string,
  nodeId: string,
): Promise<Resolved<T>> {
  if (secretNamesIn(request.url).length > 0) {
    return refuse(
      'SECRET_IN_URL',
      `node "${nodeId}" puts a secret in its URL, where servers log it: send it in a header or the body`,
    );
  }
  const names = [
    ...new Set([
      ...Object.values(request.headers ?? {}).flatMap(secretNamesIn),
      ...secretNamesIn(JSON.stringify(request.body ?? null)),
    ]),
  ];
  if (names.length === 0) return { ok: true, request, values: new Map() };
  const values = new Map<string, string>();
  for (const name of names) {
    const value = secrets ? await secrets.get(tenant, name) : undefined;
    if (value === undefined) {
      return refuse(
        'SECRET_NOT_FOUND',
        `node "${nodeId}" sends the secret "${name}", which is not set for tenant "${tenant}"${secrets ? '' : ' (this deployment has no secret store)'}`,
      );
    }
    values.set(name, value);
  }
  const headers =
    request.headers &&
    Object.fromEntries(
      Object.entries(request.headers).map(([key, value]) => [key, withSecrets(value, values)]),
    );
  return { ok: true, request: { ...request, headers, body: swap(request.body, values) }, values };
}

/** The result with every secret value (and reference) redacted from its output or error. */
export function redactResult(result: ExecutionResult, values: ReadonlyMap<string, string>): ExecutionResult {
  if (values.size === 0) return result;
  if (result.kind === 'succeeded') return { ...result, output: redactSecrets(result.output, values) };
  if (result.kind === 'failed') {
    return { ...result, error: { ...result.error, message: redactText(result.error.message, values) } };
  }
  return result;
}

function swap(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return withSecrets(value, values);
  if (Array.isArray(value)) return value.map((item) => swap(item, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, swap(item, values)]));
  }
  return value;
}

function refuse(code: string, message: string): { ok: false; result: ExecutionResult } {
  return { ok: false, result: { ...failure(code, message), final: true } };
}
