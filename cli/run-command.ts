import { readFile } from 'node:fs/promises';
import { httpAllowFrom } from '../shared/config.ts';
import { type Problem, SkeinError } from '../shared/domain/problems.ts';
import { parseSource, sourceFormatOf } from '../shared/domain/source.ts';
import { validateSource } from '../shared/domain/validate.ts';
import type { EngineEvent } from '../shared/engine/context.ts';
import { ApiRunError } from './api-run.ts';
import type { InProcessRuntime } from './in-process-runtime.ts';
import { EXIT, type Io } from './io.ts';
import { parseRunFlags, type RunCommandOptions, UsageError, workflowIdOf } from './run-options.ts';
import { formatSummary, jsonReport, LinePrinter, type NodeLine, type RunReport } from './run-printer.ts';
import { formatResult } from './validate-command.ts';

/** Where and what to run, once the flags are checked. */
interface RunPlan {
  readonly tenant: string;
  readonly workflowId: string;
  readonly version: string;
  readonly body: Record<string, unknown>;
  readonly inputs: Record<string, unknown>;
  readonly live: boolean;
  readonly signal: AbortSignal;
  /** `SKEIN_HTTP_ALLOW` and `--allow-http`, for in-process runs. */
  readonly httpAllow: readonly string[];
}

const DEFAULT_VERSION = '0.0.0-local';
const TERMINAL_EVENTS = new Set(['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out']);

/**
 * `skein run FILE`: validates the file like `skein validate`, publishes it and runs it once,
 * in-process (`--store memory`, the default, or `local`: DynamoDB Local and fauxqs) or on an API
 * (`--api URL --key KEY`). Prints node events as they happen and the run's outcome, or one JSON
 * document with `--json`. Exit 0 when the run SUCCEEDED, 1 when it ended otherwise, 2 for usage
 * mistakes, an invalid file or invalid inputs. Ctrl-C cancels the run.
 */
export async function runCommand(
  file: string,
  options: RunCommandOptions,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  if (signal) return runFile(file, options, io, signal);
  const interrupt = onInterrupt(io);
  try {
    return await runFile(file, options, io, interrupt.signal);
  } finally {
    interrupt.dispose();
  }
}

async function runFile(
  file: string,
  options: RunCommandOptions,
  io: Io,
  signal: AbortSignal,
): Promise<number> {
  let inputs: Record<string, unknown>;
  let httpAllow: readonly string[];
  try {
    inputs = parseRunFlags(options);
    httpAllow = [...envHttpAllow(), ...(options.allowHttp ?? [])];
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`skein: ${error.message}`);
    return EXIT.usage;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.err(`skein: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return EXIT.usage;
  }
  const format = sourceFormatOf(file);
  const { valid, errors } = validateSource(text, format);
  if (!valid) {
    printProblems(io, options, file, errors);
    return EXIT.usage;
  }
  const parsed = parseSource(text, format).value as Record<string, unknown>;
  const body = options.version === undefined ? parsed : { ...parsed, version: options.version };
  const plan: RunPlan = {
    tenant: options.tenant ?? 'demo',
    workflowId: typeof body.id === 'string' ? body.id : workflowIdOf(file),
    version: typeof body.version === 'string' ? body.version : DEFAULT_VERSION,
    body,
    inputs,
    live: !options.json,
    signal,
    httpAllow,
  };
  let report: RunReport | undefined;
  try {
    report = options.api
      ? await apiRun(options.api, options.key ?? '', plan, io)
      : await runInProcess(
          options.store === 'local' || options.store === 'dynamodb' ? options.store : 'memory',
          plan,
          io,
        );
  } catch (error) {
    return reportFailure(error, io, options, file);
  }
  if (!report) return EXIT.failed;
  io.out(options.json ? JSON.stringify(jsonReport(report), null, 2) : formatSummary(report));
  return report.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
}

function printProblems(io: Io, options: RunCommandOptions, file: string, errors: Problem[]) {
  const result = { file, valid: false, errors, order: [] };
  io.out(options.json ? JSON.stringify(result, null, 2) : formatResult(result));
}

function reportFailure(error: unknown, io: Io, options: RunCommandOptions, file: string): number {
  if (error instanceof ApiRunError) {
    io.err(error.message);
    if (error.problems) printProblems(io, options, file, error.problems);
    return error.exitCode;
  }
  if (error instanceof SkeinError) {
    const problems = Array.isArray(error.details) ? (error.details as Problem[]) : undefined;
    if (problems && problems.length > 0) {
      io.err(`skein: ${error.message}`);
      printProblems(io, options, file, problems);
    } else {
      io.err(`skein: ${error.code} ${error.message}`);
    }
    return EXIT.usage;
  }
  io.err(`skein: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.failed;
}

async function apiRun(url: string, key: string, plan: RunPlan, io: Io): Promise<RunReport> {
  const { runViaApi } = await import('./api-run.ts');
  const { report, interrupted } = await runViaApi({ ...plan, url: url.replace(/\/+$/, ''), key }, io);
  if (interrupted && report.status !== 'CANCELLED') io.err(`The run is ${report.status}.`);
  return report;
}

/**
 * Publishes and runs the definition in this process, handling queue messages until the run ends.
 * Undefined when the run could not be read back after an interrupt (the local store stopped).
 */
async function runInProcess(
  store: 'memory' | 'local' | 'dynamodb',
  plan: RunPlan,
  io: Io,
): Promise<RunReport | undefined> {
  const { tenant, workflowId, version, live, signal } = plan;
  // Loaded here: usage mistakes and invalid files are reported without loading the engine.
  const [
    { drive, engineFor, localRuntime, memoryRuntime, sqliteRuntime },
    { publishDefinition },
    { systemClock },
  ] = await Promise.all([
    import('./in-process-runtime.ts'),
    import('../shared/engine/publish-definition.ts'),
    import('../shared/ports/clock.ts'),
  ]);
  if (live && store === 'dynamodb') io.err('Starting DynamoDB Local and fauxqs...');
  const runtime =
    store === 'dynamodb' ? await localRuntime() : store === 'local' ? await sqliteRuntime() : memoryRuntime();
  try {
    const printer = new LinePrinter(io);
    let runId: string | undefined;
    let ended = false;
    const engine = engineFor(
      runtime,
      (event) => {
        if (runId === undefined || event.runId !== runId) return;
        if (TERMINAL_EVENTS.has(event.type)) ended = true;
        if (live) printer.push(lineOf(event, runtime, tenant));
      },
      { allow: plan.httpAllow, onNotice: (notice) => io.err(`skein: ${notice}`) },
      (entry) => {
        if (live && entry.runId === runId) printer.pushLogs(entry);
      },
    );
    const deps = { definitions: runtime.definitions, clock: systemClock };
    await publishDefinition(deps, { tenant, workflowId, version, body: plan.body });
    const started = await engine.startRun({ tenant, workflow: workflowId, version, inputs: plan.inputs });
    runId = started.run.runId;
    if (live) io.out(`run ${runId} of ${workflowId}@${version} started (store: ${store})`);
    const onError = (error: unknown) => {
      if (!signal.aborted) io.err(`skein: a queue message failed and will be retried: ${String(error)}`);
    };
    await drive(runtime, engine, { done: () => ended, signal, onError });
    if (signal.aborted && !ended) {
      try {
        await engine.cancel(tenant, runId);
        io.err(`Interrupted: run ${runId} was cancelled.`);
      } catch (error) {
        // With --store dynamodb, Ctrl-C also stops DynamoDB Local (its own signal hook): the run goes with it.
        const why = store === 'dynamodb' ? 'the local store stopped with Ctrl-C' : (error as Error).message;
        io.err(`Interrupted: could not cancel run ${runId} (${why}); it is discarded with the store.`);
        return undefined;
      }
    }
    await printer.flush();
    return await engine.getRun(tenant, runId);
  } finally {
    await runtime.stop();
  }
}

const NODE_KINDS: Partial<Record<EngineEvent['type'], NodeLine['kind']>> = {
  'node.started': 'started',
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.retrying': 'retrying',
  'node.waiting': 'waiting',
  'node.skipped': 'skipped',
  'node.cancelled': 'cancelled',
  'node.parked': 'parked',
};

/** The line for a node event; retries and waits first read when the node wakes up. */
function lineOf(
  event: EngineEvent,
  runtime: InProcessRuntime,
  tenant: string,
): NodeLine | Promise<NodeLine> | undefined {
  const kind = NODE_KINDS[event.type];
  if (!kind || event.nodeId === undefined) return undefined;
  const line: NodeLine = {
    at: event.at,
    nodeId: event.nodeId,
    kind,
    ...(event.attempt !== undefined && { attempt: event.attempt }),
    ...(event.error && { error: event.error }),
    ...(event.reason !== undefined && { reason: event.reason }),
    // An in-process run has no HTTP server: the URL names the API a served store would answer on.
    ...(event.completionToken !== undefined && {
      completion: {
        token: event.completionToken,
        url: `$SKEIN_API/v1/tenants/${tenant}/runs/${event.runId}/nodes/${event.nodeId}/complete`,
      },
    }),
  };
  if (kind !== 'retrying' && kind !== 'waiting') return line;
  return runtime.runs
    .getNode(event.runId, event.nodeId)
    .then((node) => (node?.wakeAt ? { ...line, wakeAt: node.wakeAt } : line))
    .catch(() => line);
}

/** `SKEIN_HTTP_ALLOW`; a malformed entry is a usage error naming the variable. */
function envHttpAllow(): readonly string[] {
  try {
    return httpAllowFrom();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Aborts on Ctrl-C while the command runs; a second Ctrl-C exits at once. */
function onInterrupt(io: Io) {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.err('\nInterrupted: stopping the run (Ctrl-C again to quit at once)...');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
