import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { documentRoutes } from '../../shared/api/openapi.ts';
import { documentEventRoutes } from '../../shared/api/openapi-events.ts';
import { documentKeyRoutes } from '../../shared/api/openapi-keys.ts';
import { documentRunRoutes } from '../../shared/api/openapi-runs.ts';
import { documentSubscriptionRoutes } from '../../shared/api/openapi-subscriptions.ts';
import { documentTemplateRoutes } from '../../shared/api/openapi-templates.ts';
import { documentTriggerRoutes } from '../../shared/api/openapi-triggers.ts';
import { documentUiRoutes } from '../../shared/api/openapi-ui.ts';
import type { Finding } from './oracles.ts';

/**
 * The response schemas of every route, taken from the same registry `/openapi.json` is generated
 * from (the zod schemas themselves), made strict at every level: a 2xx body must match its route's
 * documented schema for that status, and may hold no field the schema does not name.
 */
export type ResponseSchemas = ReadonlyMap<string, ReadonlyMap<number, z.ZodType | undefined>>;

export function responseSchemas(): ResponseSchemas {
  const app = new OpenAPIHono();
  documentRoutes(app);
  documentRunRoutes(app);
  documentKeyRoutes(app);
  documentTriggerRoutes(app);
  documentSubscriptionRoutes(app);
  documentTemplateRoutes(app);
  documentUiRoutes(app);
  documentEventRoutes(app, { history: true, stream: true, metrics: true });
  const out = new Map<string, Map<number, z.ZodType | undefined>>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const { method, path, responses } = definition.route;
    const byStatus = new Map<number, z.ZodType | undefined>();
    for (const [status, response] of Object.entries(responses)) {
      const content = (response as { content?: Record<string, { schema?: unknown }> }).content;
      const schema = content?.['application/json']?.schema;
      // A documented text body (`GET /metrics`: Prometheus text; the web UI's page and files) has
      // no JSON schema to check.
      if (schema === undefined && content !== undefined && content['application/json'] === undefined)
        TEXT_BODIES.add(`${method.toUpperCase()} ${path}`);
      byStatus.set(Number(status), schema instanceof z.ZodType ? strict(schema) : undefined);
    }
    out.set(`${method.toUpperCase()} ${path}`, byStatus);
  }
  return out;
}

/** The schema with every object strict (loose objects, `.passthrough()`, stay loose). */
export function strict(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(schema.shape).map(([key, value]) => [key, strict(value as z.ZodType)]),
    );
    return schema.def.catchall instanceof z.ZodUnknown ? z.looseObject(shape) : z.strictObject(shape);
  }
  if (schema instanceof z.ZodOptional) return strict(schema.unwrap() as z.ZodType).optional();
  if (schema instanceof z.ZodNullable) return strict(schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodArray) return z.array(strict(schema.element as z.ZodType));
  if (schema instanceof z.ZodUnion) {
    const options = (schema.options as z.ZodType[]).map(strict);
    return z.union(options as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  }
  if (schema instanceof z.ZodRecord) return z.record(z.string(), strict(schema.valueType as z.ZodType));
  return schema;
}

/** Operations whose success body is documented as plain text. */
const TEXT_BODIES = new Set<string>();

/** Checks a 2xx answer of `operation` against its documented schema. */
export function checkSuccess(
  schemas: ResponseSchemas,
  operation: string,
  status: number,
  text: string,
): Finding[] {
  const byStatus = schemas.get(operation);
  if (!byStatus)
    return [{ oracle: 'response-schema', detail: `${status} from a route /openapi.json does not list` }];
  if (!byStatus.has(status))
    return [{ oracle: 'response-schema', detail: `status ${status} is not documented for ${operation}` }];
  const schema = byStatus.get(status);
  if (!schema && TEXT_BODIES.has(operation)) return [];
  if (!schema)
    return text === ''
      ? []
      : [{ oracle: 'response-schema', detail: `a body where none is documented: ${text.slice(0, 120)}` }];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [{ oracle: 'response-schema', detail: `a ${status} whose body is not JSON` }];
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return [{ oracle: 'response-schema', detail: `$.${issue?.path.join('.')}: ${issue?.message}` }];
  }
  return operation === 'GET /v1/tenants/{tenant}/runs/{run}' || isRunView(body) ? checkRunView(body) : [];
}

const isRunView = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && 'progress' in body && 'nodes' in body;

interface RunViewLike {
  progress: { total: number; done: number; percent: number; byStatus: Record<string, number> };
  nodes: Record<string, unknown>;
  nodesCursor?: string;
}

/**
 * The progress of a run view adds up: node counts by status sum to the total, and so on. A page of
 * nodes holds at most the total, and a page that says more follow (`nodesCursor`) is not empty.
 */
function checkRunView(body: unknown): Finding[] {
  const { progress, nodes, nodesCursor } = body as RunViewLike;
  const problems: string[] = [];
  const counted = Object.values(progress.byStatus).reduce((sum, n) => sum + n, 0);
  if (counted !== progress.total) problems.push(`byStatus sums to ${counted}, total is ${progress.total}`);
  const shown = Object.keys(nodes).length;
  if (shown > progress.total) problems.push(`${shown} nodes, total is ${progress.total}`);
  if (nodesCursor !== undefined && shown === 0) problems.push('an empty page with a nodesCursor');
  if (progress.done < 0 || progress.done > progress.total)
    problems.push(`done ${progress.done} of ${progress.total}`);
  if (progress.percent < 0 || progress.percent > 100) problems.push(`percent ${progress.percent}`);
  return problems.map((detail) => ({ oracle: 'run-view', detail }));
}
