import type { Problem } from '../shared/domain/problems.ts';
import { TERMINAL_RUN_STATUSES } from '../shared/ports/run-store.ts';
import { CliError, send as sendToApi } from './api-client.ts';
import { EXIT, type Io } from './io.ts';
import { LinePrinter, nodeChanges, type RunReport } from './run-printer.ts';

/** What `skein run --api` needs to publish and run a definition on a Skein API. */
export interface ApiRunRequest {
  /** The API's base URL, without a trailing slash. */
  readonly url: string;
  readonly key: string;
  readonly tenant: string;
  readonly workflowId: string;
  readonly version: string;
  /** The definition as parsed from the file (with `version` set when `--version` was given). */
  readonly body: unknown;
  readonly inputs: Record<string, unknown>;
  /** Print node lines as they change. */
  readonly live: boolean;
  readonly signal: AbortSignal;
  /** Poll interval. @default 250 */
  readonly pollMs?: number;
}

/** A request the API refused, or could not answer: what to print and the exit code. */
export class ApiRunError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Problems to print like `skein validate` does (invalid definition or inputs). */
    readonly problems?: Problem[],
  ) {
    super(message);
    this.name = 'ApiRunError';
  }
}

interface ApiError {
  readonly error?: { code?: string; message?: string; errors?: unknown };
}

/**
 * Publishes the definition (`PUT .../workflows/{id}/versions/{version}`; the identical body again
 * is fine), starts a run (`POST .../workflows/{id}/runs`), then polls `GET .../runs/{runId}` every
 * 250 ms, printing node changes, until the run ends. Aborting `signal` asks the API to cancel the
 * run and reports how it ended. Throws `ApiRunError` when the API refuses a request.
 */
export async function runViaApi(
  request: ApiRunRequest,
  io: Io,
): Promise<{ report: RunReport; interrupted: boolean }> {
  const { url, tenant, workflowId, version } = request;
  const t = encodeURIComponent(tenant);
  const wf = encodeURIComponent(workflowId);
  const call = (method: string, path: string, body?: unknown) => send(request, method, path, body);

  const published = await call(
    'PUT',
    `/v1/tenants/${t}/workflows/${wf}/versions/${encodeURIComponent(version)}`,
    request.body,
  );
  if (published.status !== 200 && published.status !== 201)
    throw refusal('publish', published, workflowId, version);

  const started = await call('POST', `/v1/tenants/${t}/workflows/${wf}/runs`, {
    version,
    inputs: request.inputs,
  });
  const runId = (started.json as { runId?: unknown } | undefined)?.runId;
  if (started.status >= 300 || typeof runId !== 'string')
    throw refusal('start', started, workflowId, version);
  if (request.live) io.out(`run ${runId} of ${workflowId}@${version} started on ${url}`);

  const runPath = `/v1/tenants/${t}/runs/${encodeURIComponent(runId)}`;
  const printer = new LinePrinter(io);
  let nodes: RunReport['nodes'] = {};
  let interrupted = false;
  for (;;) {
    if (request.signal.aborted && !interrupted) {
      interrupted = true;
      const cancelled = await call('POST', `${runPath}/cancel`).catch(() => undefined);
      io.err(
        cancelled && cancelled.status < 300
          ? `Interrupted: run ${runId} was cancelled.`
          : `Interrupted: could not cancel run ${runId} (${cancelled ? `HTTP ${cancelled.status}` : 'no answer'}).`,
      );
    }
    const ended = interrupted;
    let report = await readWhole(call, runPath, false, (polled) =>
      refusal('read', polled, workflowId, version),
    );
    if (TERMINAL_RUN_STATUSES.includes(report.status) || ended) {
      // The last read carries the outputs, which GET run leaves out unless asked.
      report = await readWhole(call, runPath, true, (polled) => refusal('read', polled, workflowId, version));
    }
    if (request.live) {
      const completionOf = (nodeId: string, node: RunReport['nodes'][string]) =>
        node.token === undefined
          ? undefined
          : {
              completion: {
                token: node.token,
                url: `${url}${runPath}/nodes/${encodeURIComponent(nodeId)}/complete`,
              },
            };
      for (const line of nodeChanges(nodes, report.nodes ?? {}, new Date().toISOString(), completionOf)) {
        printer.push(line);
      }
    }
    nodes = report.nodes ?? {};
    if (TERMINAL_RUN_STATUSES.includes(report.status) || interrupted) {
      await printer.flush();
      return { report: { ...report, runId: report.runId ?? runId }, interrupted };
    }
    await pause(request.pollMs ?? 250, request.signal);
  }
}

type Call = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: unknown; text: string }>;

/** GET run, every page of nodes (1,000 at a time), with or without their outputs. */
async function readWhole(
  call: Call,
  runPath: string,
  outputs: boolean,
  refused: (polled: Awaited<ReturnType<Call>>) => Error,
): Promise<RunReport> {
  let report: RunReport | undefined;
  let cursor: string | undefined;
  do {
    const query = `?limit=1000&outputs=${outputs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const polled = await call('GET', `${runPath}${query}`);
    if (polled.status !== 200) throw refused(polled);
    const page = polled.json as RunReport & { nodesCursor?: string };
    report = report ? { ...page, nodes: { ...report.nodes, ...page.nodes } } : page;
    cursor = page.nodesCursor;
  } while (cursor);
  const { nodesCursor: _c, ...whole } = report as RunReport & { nodesCursor?: string };
  return whole;
}

/** One request with the run's key; a network failure is an `ApiRunError`. */
async function send(request: ApiRunRequest, method: string, path: string, body?: unknown) {
  try {
    return await sendToApi({ url: request.url, key: request.key }, method, path, body);
  } catch (error) {
    if (error instanceof CliError) throw new ApiRunError(error.message, error.exitCode);
    throw error;
  }
}

function refusal(
  step: 'publish' | 'start' | 'read',
  response: { status: number; json: unknown; text: string },
  workflowId: string,
  version: string,
): ApiRunError {
  const error = (response.json as ApiError | undefined)?.error;
  const code = error?.code ?? `HTTP_${response.status}`;
  const message = error?.message ?? (response.text.slice(0, 200) || 'no message');
  const what = { publish: `publish ${workflowId}@${version}`, start: 'start the run', read: 'read the run' }[
    step
  ];
  let text = `skein: could not ${what}: ${code} ${message}`;
  if (code === 'VERSION_EXISTS' || code === 'VERSION_NOT_GREATER') {
    text += `\nhint: versions are immutable; bump "version" in the file or pass --version (e.g. a version greater than ${version})`;
  }
  if (response.status === 401 || response.status === 403) text += '\nhint: check --key and --tenant';
  const problems = Array.isArray(error?.errors) && isProblemList(error.errors) ? error.errors : undefined;
  const exitCode = response.status >= 400 && response.status < 500 ? EXIT.usage : EXIT.failed;
  return new ApiRunError(text, exitCode, problems);
}

function isProblemList(value: unknown[]): value is Problem[] {
  return value.every(
    (item) => typeof item === 'object' && item !== null && 'message' in item && 'path' in item,
  );
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(id);
      resolve();
    };
    const id = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
