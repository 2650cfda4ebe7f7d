import type { JsonSchema } from './schema-arb.ts';
import type { RefKind } from './types.ts';

/** One route of `/openapi.json`, as the generators need it. */
export interface Operation {
  /** `GET /v1/tenants/{tenant}/runs` */
  readonly key: string;
  readonly method: string;
  /** The OpenAPI path template. */
  readonly path: string;
  /** The template split on `/`: literal segments and `{param}` names. */
  readonly parts: readonly ({ readonly literal: string } | { readonly param: string })[];
  readonly query: readonly { readonly name: string; readonly schema: JsonSchema }[];
  /** The request body's schema (the JSON one), when the route takes a body. */
  readonly body?: JsonSchema;
  readonly bodyRequired: boolean;
  /** True unless the route is public (`/health`). */
  readonly secured: boolean;
}

export interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly components?: { readonly schemas?: Readonly<Record<string, JsonSchema>> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/** Every operation of the document, in its order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const spec = obj(item[method]);
      if (!(method in item)) continue;
      const parameters = Array.isArray(spec.parameters) ? spec.parameters.map(obj) : [];
      const content = obj(obj(spec.requestBody).content);
      const body = content['application/json'] ?? Object.values(content)[0];
      const parts = path
        .split('/')
        .slice(1)
        .map((segment) => {
          const param = /^\{(.+)\}$/.exec(segment)?.[1];
          return param ? { param } : { literal: segment };
        });
      out.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parts,
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: String(p.name), schema: obj(p.schema) as JsonSchema })),
        ...(body !== undefined && { body: obj(obj(body).schema) as JsonSchema }),
        bodyRequired: obj(spec.requestBody).required === true,
        secured: Array.isArray(spec.security) && spec.security.length > 0,
      });
    }
  }
  return out;
}

/** The reference a path parameter takes in a well-formed request, by its name. */
export function refOfParam(param: string): RefKind | undefined {
  switch (param) {
    case 'tenant':
      return 'tenant';
    case 'workflow':
      return 'workflow';
    case 'version':
      return 'version';
    case 'run':
      return 'run';
    case 'keyId':
      return 'disposableKey';
    default:
      return undefined;
  }
}

/** The same reference in another tenant: what a key must never reach. */
export function crossRefOfParam(param: string): RefKind | undefined {
  switch (param) {
    case 'tenant':
      return 'otherTenant';
    case 'workflow':
      return 'otherWorkflow';
    case 'run':
      return 'otherRun';
    case 'keyId':
      return 'otherKeyId';
    default:
      return undefined;
  }
}

/** Matches a sent path (percent-encoded) to the operation whose template it fits. */
export function matchOperation(operations: readonly Operation[], method: string, path: string): string {
  // As the server sees it: `/%2e%2e/v1/...` is `/v1/...` once the URL is parsed.
  const segments = normalizedPath(path).split('/').slice(1);
  for (const operation of operations) {
    if (operation.method !== method && !(method === 'HEAD' && operation.method === 'GET')) continue;
    if (operation.parts.length !== segments.length) continue;
    const fits = operation.parts.every((part, index) => 'param' in part || part.literal === segments[index]);
    if (fits) return operation.key;
  }
  return 'unrouted';
}

function normalizedPath(path: string): string {
  try {
    return new URL(path, 'http://127.0.0.1').pathname;
  } catch {
    return path.split('?')[0] ?? path;
  }
}
