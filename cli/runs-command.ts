import type { RunView } from '../shared/engine/run-view.ts';
import { TERMINAL_RUN_STATUSES } from '../shared/ports/run-store.ts';
import {
  type ApiTarget,
  type ApiTargetOptions,
  CliError,
  call,
  resolveApiTarget,
  tenantPath,
} from './api-client.ts';
import { EXIT, type Io } from './io.ts';

export interface RunsOptions extends ApiTargetOptions {
  readonly json?: boolean;
}

interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  readonly version: string;
  readonly status: string;
  readonly createdAt: string;
  readonly endedAt?: string;
  readonly error?: { code: string; message: string };
}

const STATUS_MARK: Record<string, string> = {
  SUCCEEDED: '✔',
  FAILED: '✖',
  CANCELLED: '⊘',
  TIMED_OUT: '⌛',
  SKIPPED: '⤼',
  RUNNING: '▶',
  WAITING: '⏸',
  PARKED: '⏸',
  PAUSED: '⏸',
  RETRY_WAIT: '↻',
  QUEUED: '…',
  READY: '…',
  PENDING: '·',
};

/** Runs `body` against the resolved API; a `CliError` is printed and becomes the exit code. */
export async function withApi(
  options: ApiTargetOptions,
  io: Io,
  body: (target: ApiTarget) => Promise<unknown>,
): Promise<number> {
  try {
    const code = await body(resolveApiTarget(options));
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`skein: ${error.message}`);
    return error.exitCode;
  }
}

/** `skein runs list [--workflow W] [--status S] [--limit N]`: newest first, one line per run. */
export function runsListCommand(
  options: RunsOptions & { workflow?: string; status?: string; limit?: string; cursor?: string },
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    const query = new URLSearchParams();
    for (const name of ['workflow', 'status', 'limit', 'cursor'] as const) {
      const value = options[name];
      if (value !== undefined) query.set(name, value);
    }
    const suffix = query.size > 0 ? `?${query}` : '';
    const page = await call<{ items: RunSummary[]; cursor?: string }>(
      target,
      'GET',
      `${tenantPath(target)}/runs${suffix}`,
    );
    if (options.json) {
      io.out(JSON.stringify(page));
      return;
    }
    if (page.items.length === 0) io.err(`No runs for tenant "${target.tenant}".`);
    for (const run of page.items) {
      const ended = run.endedAt ? `  ended ${run.endedAt}` : '';
      io.out(
        `${STATUS_MARK[run.status] ?? ' '} ${run.runId}  ${run.workflow}@${run.version}  ${run.status}  ${run.createdAt}${ended}`,
      );
    }
    if (page.cursor) io.err(`More runs: --cursor ${page.cursor}`);
  });
}

/** `skein runs get RUN`: the run, its progress and every node (paged through), or `--json`. */
export function runsGetCommand(runId: string, options: RunsOptions, io: Io): Promise<number> {
  return withApi(options, io, async (target) => {
    const view = await readRun(target, runId);
    if (options.json) io.out(JSON.stringify(view));
    else for (const line of renderRun(view)) io.out(line);
  });
}

/**
 * `skein runs watch RUN`: the run's nodes and a progress bar, redrawn (on a terminal) or printed
 * when something changed (otherwise), until the run ends. Exit 0 when it SUCCEEDED, 1 otherwise.
 */
export function runsWatchCommand(
  runId: string,
  options: RunsOptions & { interval?: string },
  io: Io,
  terminal = process.stdout.isTTY === true,
): Promise<number> {
  return withApi(options, io, async (target) => {
    const every = Math.max(100, Number(options.interval ?? 500));
    let shown = '';
    for (;;) {
      const view = await readRun(target, runId);
      const lines = options.json ? [JSON.stringify(view)] : renderRun(view);
      const text = lines.join('\n');
      if (text !== shown) {
        if (terminal && !options.json) io.out('\x1b[H\x1b[2J');
        io.out(text);
        shown = text;
      }
      if (TERMINAL_RUN_STATUSES.includes(view.status))
        return view.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
      await new Promise((resolve) => setTimeout(resolve, every));
    }
  });
}

/** `skein runs pause|resume|cancel RUN`. */
export function runsControlCommand(
  action: 'pause' | 'resume' | 'cancel',
  runId: string,
  options: RunsOptions,
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    const state = await call<{ runId: string; status: string }>(
      target,
      'POST',
      `${tenantPath(target)}/runs/${encodeURIComponent(runId)}/${action}`,
    );
    io.out(options.json ? JSON.stringify(state) : `run ${state.runId}: ${state.status}`);
  });
}

/** `skein runs retry RUN [--node N]...`: every FAILED or CANCELLED node, or the ones named. */
export function runsRetryCommand(
  runId: string,
  options: RunsOptions & { node?: string[] },
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    const nodes = options.node ?? [];
    const state = await call<{ runId: string; status: string }>(
      target,
      'POST',
      `${tenantPath(target)}/runs/${encodeURIComponent(runId)}/retry`,
      nodes.length > 0 ? { nodes } : {},
    );
    io.out(options.json ? JSON.stringify(state) : `run ${state.runId}: ${state.status}`);
  });
}

/**
 * `skein complete RUN NODE --token T (--output JSON | --error CODE[:message])`: completes a node
 * waiting for an outside completion (a `callback`, or a callback item `map[3]`).
 */
export function completeCommand(
  runId: string,
  nodeId: string,
  options: RunsOptions & { token: string; output?: string; error?: string },
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    if ((options.output === undefined) === (options.error === undefined)) {
      throw new CliError(
        'give exactly one of --output JSON (the node succeeds) or --error CODE[:message]',
        EXIT.usage,
      );
    }
    const body =
      options.error === undefined
        ? { token: options.token, output: jsonOrText(options.output ?? '') }
        : { token: options.token, error: errorOf(options.error) };
    const path = `${tenantPath(target)}/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/complete`;
    const accepted = await call<{ accepted: string }>(target, 'POST', path, body);
    io.out(options.json ? JSON.stringify(accepted) : `node ${nodeId} of run ${runId}: ${accepted.accepted}`);
  });
}

/** Every node of a run: the first page with outputs, then the next pages (`nodesCursor`). */
async function readRun(target: ApiTarget, runId: string): Promise<RunView> {
  const base = `${tenantPath(target)}/runs/${encodeURIComponent(runId)}?outputs=true&limit=1000`;
  const view = await call<RunView>(target, 'GET', base);
  let nodes = view.nodes;
  let cursor = view.nodesCursor;
  while (cursor) {
    const page = await call<RunView>(target, 'GET', `${base}&cursor=${encodeURIComponent(cursor)}`);
    nodes = { ...nodes, ...page.nodes };
    cursor = page.nodesCursor;
  }
  const { nodesCursor: _cursor, ...rest } = view;
  return { ...rest, nodes };
}

/** The run as lines: a header with a progress bar, then one line per node, then the error. */
export function renderRun(view: RunView): string[] {
  const { total, done, percent } = view.progress;
  const width = 24;
  const filled = Math.round((percent / 100) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% (${done}/${total} nodes)`;
  const lines = [
    `${STATUS_MARK[view.status] ?? ' '} run ${view.runId}  ${view.workflow}@${view.version}  ${view.status}  ${bar}`,
  ];
  const idWidth = Math.min(40, Math.max(4, ...Object.keys(view.nodes).map((id) => id.length)));
  for (const [id, node] of Object.entries(view.nodes)) {
    const took =
      node.startedAt && node.endedAt ? `  ${Date.parse(node.endedAt) - Date.parse(node.startedAt)} ms` : '';
    const items = node.items ? `  items ${node.items.total} in ${node.items.lanes} lanes` : '';
    const error = node.error ? `  ${node.error.code}: ${node.error.message.slice(0, 200)}` : '';
    const token = node.token ? `  token ${node.token}` : '';
    lines.push(
      `  ${STATUS_MARK[node.status] ?? ' '} ${id.padEnd(idWidth)}  ${node.status.padEnd(10)} attempts ${node.attempts}${took}${items}${token}${error}`,
    );
  }
  if (view.error)
    lines.push(
      `  error: ${view.error.code} ${view.error.message}${view.error.nodeId ? ` (node ${view.error.nodeId})` : ''}`,
    );
  if (view.outputs !== undefined && TERMINAL_RUN_STATUSES.includes(view.status)) {
    lines.push('outputs:', JSON.stringify(view.outputs, null, 2));
  }
  return lines;
}

function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function errorOf(value: string): { code: string; message: string } {
  const at = value.indexOf(':');
  return at < 0
    ? { code: value, message: value }
    : { code: value.slice(0, at), message: value.slice(at + 1).trim() || value.slice(0, at) };
}
