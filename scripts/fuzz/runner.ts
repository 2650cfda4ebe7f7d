import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BodyContext } from './bodies.ts';
import { FuzzClient } from './client.ts';
import { type OpenApiDocument, operationsOf } from './operations.ts';
import type { Stats } from './report.ts';
import { responseSchemas } from './responses.ts';
import { checkSeed, SeedApi, type Snapshot, writeSeed } from './seed-data.ts';
import { itemArb } from './sequences.ts';
import { Session } from './session.ts';
import { FuzzState } from './state.ts';
import type { FuzzRequest, FuzzTarget, Segment, Violation } from './types.ts';

export interface FuzzOptions {
  readonly seed: number;
  /** Requests to send (a sequence is never cut, so a few more may go). */
  readonly requests: number;
  /** Items in flight at once. @default 8 */
  readonly concurrency?: number;
  /** A judged /health probe after every this many requests. @default 250 */
  readonly healthEvery?: number;
  /** The most that probe may take. @default 2_000 */
  readonly healthTimeoutMs?: number;
  /** How long one request may take before it counts as unanswered. @default 60_000 */
  readonly requestTimeoutMs?: number;
  /** Violations to shrink with fast-check (single requests only). @default 5 */
  readonly shrink?: number;
  /** Whether generated workflows may run hostile scripts (see `WorkflowOptions`). @default true */
  readonly hostileScripts?: boolean;
  readonly log?: (line: string) => void;
}

export interface FuzzResult {
  readonly stats: Stats;
  /** Every violation; those with `known` set are explained by a known issue elsewhere. */
  readonly violations: Violation[];
  readonly seedProblems: string[];
  readonly canaryHits: string[];
  readonly alive: boolean;
  readonly unhandled: string[];
  readonly workerErrors: string[];
  readonly operations: readonly string[];
}

/** True when a result holds anything that should fail the run. */
export function failed(result: FuzzResult): boolean {
  return (
    result.violations.some((v) => !v.known) ||
    result.seedProblems.length > 0 ||
    result.canaryHits.length > 0 ||
    result.unhandled.length > 0 ||
    result.stats.fuzzerErrors.length > 0 ||
    !result.alive
  );
}

/** One fuzzing session against a running target: seed, fuzz, check the seed, shrink, report. */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? (() => {});
  const client = new FuzzClient(target.url, options.requestTimeoutMs ?? 60_000);
  const canary = await startCanary();
  try {
    const openapi = await client.send({
      method: 'GET',
      path: '/openapi.json',
      headers: {},
      from: FuzzClient.MAIN_ADDRESS,
    });
    const doc = JSON.parse(openapi.text) as OpenApiDocument;
    const operations = operationsOf(doc);
    const schemas = responseSchemas();
    const missing = operations.filter((operation) => !schemas.has(operation.key)).map((o) => o.key);
    if (missing.length > 0)
      throw new Error(`routes of /openapi.json without response schemas here: ${missing.join(', ')}`);
    log(`${operations.length} operations in /openapi.json; writing the seed...`);
    const api = new SeedApi(client, 30_000);
    const snapshot = await writeSeed(target, api);
    const state = stateOf(target, snapshot);
    for (let i = 0; i < 3; i++) {
      const made = await api.call(target.own, 'POST', `/v1/tenants/${target.own.tenant}/keys`, {
        label: `fuzz ${i}`,
      });
      state.disposableKeys.push(JSON.parse(made.text) as { keyId: string; key: string });
    }

    const context: BodyContext = {
      schemas: { components: doc.components?.schemas ?? {}, maxDepth: 3 },
      canaryPort: canary.port,
      hostileScripts: options.hostileScripts ?? true,
    };
    const session = new Session(
      target,
      {
        seed: options.seed,
        requests: options.requests,
        concurrency: options.concurrency ?? 8,
        healthEvery: options.healthEvery ?? 250,
        healthTimeoutMs: options.healthTimeoutMs ?? 2_000,
      },
      client,
      operations,
      schemas,
      state,
      itemArb(operations, context),
      log,
    );
    log(`fuzzing: ${options.requests} requests, seed ${options.seed}`);
    await session.run();
    log('checking the seed, every run started and tenant isolation...');
    const seedProblems = await checkSeed(target, api, snapshot);
    await session.sendAll(finalReads(state, snapshot));
    session.classify();
    await session.shrinkViolations(options.shrink ?? 5);
    return {
      stats: session.stats,
      violations: session.violations,
      seedProblems,
      canaryHits: canary.hits,
      alive: target.alive() && (await session.healthy()),
      unhandled: target.unhandledErrors(),
      workerErrors: target.workerErrors(),
      operations: operations.map((o) => o.key),
    };
  } finally {
    await client.close();
    await new Promise<void>((resolve) => canary.server.close(() => resolve()));
  }
}

function stateOf(target: FuzzTarget, snapshot: Snapshot): FuzzState {
  const state = new FuzzState(target.own, target.other);
  for (const [id, version] of snapshot.ownWorkflows) state.addWorkflow(id, version);
  state.seedRuns.push(...snapshot.seedRuns);
  state.otherRuns.push(...snapshot.otherRuns);
  state.otherWorkflows.push(...snapshot.otherWorkflows);
  state.otherSecrets.push(snapshot.otherSecret);
  return state;
}

/** Every run the fuzzer started still reads (up to 300), and the other tenant's ids answer 404. */
function finalReads(state: FuzzState, snapshot: Snapshot): FuzzRequest[] {
  const own = (...rest: Segment[]): Segment[] => [
    { text: 'v1' },
    { text: 'tenants' },
    { ref: 'tenant', pick: 0 },
    ...rest,
  ];
  const read = (operation: string, segments: Segment[]): FuzzRequest => ({
    operation,
    flavour: 'final',
    method: 'GET',
    segments,
    auth: { kind: 'main' },
  });
  const run = 'GET /v1/tenants/{tenant}/runs/{run}';
  return [
    ...state.runs.slice(0, 300).map((_id, pick) => read(run, own({ text: 'runs' }, { ref: 'run', pick }))),
    ...snapshot.otherRuns.map((_id, pick) => read(run, own({ text: 'runs' }, { ref: 'otherRun', pick }))),
    ...snapshot.otherWorkflows.map((_id, pick) =>
      read(
        'GET /v1/tenants/{tenant}/workflows/{workflow}',
        own({ text: 'workflows' }, { ref: 'otherWorkflow', pick }),
      ),
    ),
  ];
}

/** A server http nodes must never reach: every request it gets is a hole in the SSRF guard. */
async function startCanary(): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} from ${req.socket.remoteAddress}`);
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}
