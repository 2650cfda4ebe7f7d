import { matchOperation, type Operation } from './operations.ts';
import { checkCrossTenant, checkStatusAndShape, crossTenantLeaks, type Finding, leaksIn } from './oracles.ts';
import { checkSuccess, type ResponseSchemas } from './responses.ts';
import type { FuzzState } from './state.ts';
import type { Answer, FuzzItem, FuzzRequest, SentRequest } from './types.ts';

/** Every oracle on one answer; returns the findings and what to count. */
export interface Verdict {
  readonly findings: Finding[];
  /** The route the server matched (by the sent path), or `unrouted`. */
  readonly route: string;
  readonly code?: string;
  /** A documented route answered a status its documentation does not list. */
  readonly undocumented?: number;
}

/**
 * References that name another tenant's resource whatever the path: its tenant, and run and key
 * ids (global). A workflow id is not: the same name in one's own tenant is one's own workflow.
 */
const CROSS_REFS = new Set(['otherTenant', 'otherRun', 'otherKeyId']);

export function judge(
  operations: readonly Operation[],
  schemas: ResponseSchemas,
  state: FuzzState,
  request: FuzzRequest,
  sent: SentRequest,
  answer: Answer,
): Verdict {
  const route = matchOperation(operations, sent.method, sent.path);
  const { findings, code } = checkStatusAndShape(sent, answer);
  // Error bodies and validation results are the API's own words; run views carry users' script errors.
  findings.push(...leaksIn(answer.text, sent, answer.status >= 400 || route === 'POST /v1/dag/validate'));
  findings.push(...leaksIn(JSON.stringify(answer.headers), sent, false));
  const aimsAcross =
    request.auth.kind === 'main' &&
    request.segments.some((segment) => 'ref' in segment && CROSS_REFS.has(segment.ref));
  const otherOnOwn =
    request.auth.kind === 'other' &&
    request.segments.some((segment) => 'ref' in segment && segment.ref === 'tenant');
  if (aimsAcross || otherOnOwn) findings.push(...checkCrossTenant(answer));
  if (request.auth.kind !== 'other')
    findings.push(...crossTenantLeaks(answer.text, state.otherTenantMarkers(), sent));
  if (answer.text.includes(state.own.key))
    findings.push({ oracle: 'no-leak', detail: 'the answer holds the API key' });
  if (answer.status >= 200 && answer.status < 300 && sent.method !== 'HEAD' && route !== 'unrouted') {
    findings.push(...checkSuccess(schemas, route, answer.status, answer.text));
  }
  if (
    answer.status >= 200 &&
    answer.status < 300 &&
    route === 'unrouted' &&
    !sent.path.startsWith('/openapi.json')
  ) {
    findings.push({
      oracle: 'response-schema',
      detail: `${answer.status} from a path no documented route matches`,
    });
  }
  const documented = schemas.get(route);
  const undocumented =
    documented && !documented.has(answer.status) && answer.status >= 400 ? answer.status : undefined;
  return {
    findings,
    route,
    ...(code !== undefined && { code }),
    ...(undocumented !== undefined && { undocumented }),
  };
}

/** Learns ids from a good answer: published versions, started runs, made keys, cursors. */
export function learn(state: FuzzState, request: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status < 200 || answer.status >= 300 || request.auth.kind !== 'main') return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof body.cursor === 'string') state.addCursor(body.cursor);
  if (request.method === 'PUT' && typeof body.workflowId === 'string' && typeof body.version === 'string') {
    state.addWorkflow(body.workflowId, body.version);
  }
  if (request.method === 'POST' && request.operation.endsWith('/runs') && typeof body.runId === 'string') {
    state.addRun(body.runId);
    return body.runId;
  }
  if (request.method === 'POST' && typeof body.keyId === 'string' && typeof body.key === 'string') {
    state.disposableKeys.push({ keyId: body.keyId, key: body.key });
  }
  return undefined;
}

/** What must hold across the answers of a burst: one run per idempotency key, one 201 per version. */
export function burstProblems(
  item: Extract<FuzzItem, { kind: 'burst' }>,
  answers: ReadonlyArray<Answer | undefined>,
): string[] {
  const problems: string[] = [];
  const good = answers.flatMap((a) =>
    a && a.status < 300 ? [JSON.parse(a.text) as { runId?: string }] : [],
  );
  const runIds = new Set(good.map((body) => body.runId));
  if (item.invariant === 'same-run' && runIds.size > 1) {
    problems.push(
      `${good.length} concurrent starts with one idempotency key made ${runIds.size} runs: ${[...runIds].join(', ')}`,
    );
  }
  const created = answers.filter((a) => a?.status === 201).length;
  if (item.invariant === 'one-created' && created > 1) {
    problems.push(`${created} concurrent publishes of one version each answered 201`);
  }
  return problems;
}
