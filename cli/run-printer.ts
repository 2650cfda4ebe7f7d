import { parseItemId } from '../shared/domain/map-items.ts';
import type { AttemptLogsEntry } from '../shared/ports/attempt-logs.ts';
import type { ErrorInfo, NodeStatus, RunStatus } from '../shared/ports/run-store.ts';
import type { Io } from './io.ts';

/** What happened to one node, from an engine event (in-process) or a status change (API polling). */
export interface NodeLine {
  /** When it happened (ISO time). */
  readonly at: string;
  readonly nodeId: string;
  readonly kind:
    | 'started'
    | 'succeeded'
    | 'failed'
    | 'retrying'
    | 'waiting'
    | 'skipped'
    | 'cancelled'
    | 'parked';
  readonly attempt?: number;
  readonly error?: ErrorInfo;
  readonly reason?: string;
  /** `retrying` and `waiting`: when the node wakes up (ISO time). */
  readonly wakeAt?: string;
  /** `waiting` for a completion (a callback): its token and the URL that completes it. */
  readonly completion?: { readonly token: string; readonly url: string };
}

/**
 * The curl that completes a waiting callback node.
 * @example completeCommand({ token: 't', url: 'http://127.0.0.1:8080/v1/tenants/a/runs/r/nodes/n/complete' })
 */
export function completeCommand(completion: { readonly token: string; readonly url: string }): string {
  const body = JSON.stringify({ token: completion.token, output: {} });
  return (
    `curl -X POST '${completion.url}' -H "authorization: Bearer $SKEIN_KEY" ` +
    `-H 'content-type: application/json' -d '${body}'`
  );
}

/** The part of a run's view that `skein run` reports: the engine's RunView and the API's both fit. */
export interface RunReport {
  readonly runId: string;
  readonly workflow?: string;
  readonly version?: string;
  readonly status: RunStatus;
  readonly outputs?: unknown;
  readonly error?: ErrorInfo;
  readonly createdAt?: string;
  readonly endedAt?: string;
  readonly nodes: Record<
    string,
    {
      status: NodeStatus;
      attempts: number;
      output?: unknown;
      error?: ErrorInfo;
      reason?: string;
      wakeAt?: string;
      /** A callback WAITING for its completion: the token that completes it. */
      token?: string;
    }
  >;
}

/** `12:00:01.234` in local time. */
function clockTime(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `2s`, `1.5s`, `3m 20s`: a short human duration. */
function shortDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 100) / 10);
  if (seconds < 60) return `${seconds}s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m ${whole % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

const describeError = (error: ErrorInfo | undefined) =>
  error ? `${error.code} ${error.message}` : 'unknown error';

/**
 * One human line per node event.
 * @example formatNodeLine({ at, nodeId: 'fetch', kind: 'started', attempt: 1 }) // '12:00:01.234  ▶ fetch started (attempt 1)'
 */
function formatNodeLine(line: NodeLine): string {
  const { nodeId: id } = line;
  const wait = line.wakeAt === undefined ? '' : shortDuration(Date.parse(line.wakeAt) - Date.parse(line.at));
  const reason = line.reason ? `: ${line.reason}` : '';
  let text: string;
  switch (line.kind) {
    case 'started':
      text = `▶ ${id} started (attempt ${line.attempt ?? 1})`;
      break;
    case 'succeeded':
      text = `✔ ${id} succeeded`;
      break;
    case 'failed':
      text = `✖ ${id} failed: ${describeError(line.error)}`;
      break;
    case 'retrying':
      text = `↻ ${id} retrying${wait && ` in ${wait}`}${line.error ? ` (attempt ${line.attempt ?? '?'}: ${describeError(line.error)})` : ''}`;
      break;
    case 'waiting':
      text = `⏸ ${id} waiting${wait && ` ${wait}`}`;
      if (line.completion) {
        text += ` for a completion, token ${line.completion.token}\n    complete it: ${completeCommand(line.completion)}`;
      }
      break;
    case 'skipped':
      text = `⤼ ${id} skipped${reason}`;
      break;
    case 'cancelled':
      text = `⊘ ${id} cancelled${reason}`;
      break;
    case 'parked':
      text = `⏸ ${id} parked (the run is paused)`;
      break;
  }
  return `${clockTime(line.at)}  ${text}`;
}

/** The run's status line, then its error or its outputs as pretty JSON. */
export function formatSummary(report: RunReport): string {
  const name = report.workflow ? ` (${report.workflow}${report.version ? `@${report.version}` : ''})` : '';
  const took =
    report.createdAt && report.endedAt
      ? ` in ${shortDuration(Date.parse(report.endedAt) - Date.parse(report.createdAt))}`
      : '';
  const mark = report.status === 'SUCCEEDED' ? '✔' : '✖';
  const lines = [`${mark} run ${report.runId}${name} ${report.status}${took}`];
  if (report.error) {
    const where = report.error.nodeId ? ` (node ${report.error.nodeId})` : '';
    lines.push(`  error: ${report.error.code} ${report.error.message}${where}`);
  }
  if (report.outputs !== undefined) lines.push('outputs:', JSON.stringify(report.outputs, null, 2));
  return lines.join('\n');
}

/** What `skein run --json` prints: the run's status, outputs and every node. */
export function jsonReport(report: RunReport) {
  const nodes: Record<string, { status: NodeStatus; attempts: number; output?: unknown; error?: ErrorInfo }> =
    {};
  for (const [id, node] of Object.entries(report.nodes)) {
    nodes[id] = {
      status: node.status,
      attempts: node.attempts,
      ...(node.output !== undefined && { output: node.output }),
      ...(node.error && { error: node.error }),
    };
  }
  return {
    runId: report.runId,
    status: report.status,
    outputs: report.outputs ?? null,
    ...(report.error && { error: report.error }),
    nodes,
  };
}

/** A map's progress line comes once per this many ended items. */
const ITEMS_PER_PROGRESS_LINE = 100;
/** What a map item's line is not printed for: the common case of thousands of items. */
const QUIET_ITEM_KINDS: ReadonlySet<NodeLine['kind']> = new Set([
  'started',
  'succeeded',
  'skipped',
  'parked',
]);

/**
 * Prints node lines in order, each possibly needing an async look-up first (a wake-up time). A
 * map's items (`square[42]`) print only what needs attention (a failure, a retry, a wait, a
 * cancel), and a progress line every 100 ended items.
 */
export class LinePrinter {
  private chain: Promise<void> = Promise.resolve();
  private readonly itemsEnded = new Map<string, { ended: number; failed: number }>();

  constructor(private readonly io: Io) {}

  /** Queues a line; `line` may be a promise (it is awaited in order). */
  push(line: NodeLine | Promise<NodeLine | undefined> | undefined): void {
    this.chain = this.chain.then(async () => {
      const resolved = await line;
      if (!resolved) return;
      const item = parseItemId(resolved.nodeId);
      if (item) this.countItem(item.mapId, resolved);
      if (!item || !QUIET_ITEM_KINDS.has(resolved.kind)) this.io.out(formatNodeLine(resolved));
    });
    this.chain = this.chain.catch(() => undefined);
  }

  private countItem(mapId: string, line: NodeLine): void {
    if (!['succeeded', 'failed', 'skipped', 'cancelled'].includes(line.kind)) return;
    const count = this.itemsEnded.get(mapId) ?? { ended: 0, failed: 0 };
    count.ended += 1;
    if (line.kind === 'failed') count.failed += 1;
    this.itemsEnded.set(mapId, count);
    if (count.ended % ITEMS_PER_PROGRESS_LINE === 0) {
      const failed = count.failed === 0 ? '' : ` (${count.failed} failed)`;
      this.io.out(`${clockTime(line.at)}  ▸ ${mapId}: ${count.ended} items ended${failed}`);
    }
  }

  /** Queues what a script printed in an attempt, one `│ node: message` line each (after the lines before it). */
  pushLogs(entry: AttemptLogsEntry): void {
    this.chain = this.chain.then(() => {
      for (const line of entry.logs.lines) {
        const level = line.level === 'log' || line.level === 'info' ? '' : `${line.level}: `;
        this.io.out(`${clockTime(line.ts)}  │ ${entry.nodeId}: ${level}${line.message}`);
      }
    });
  }

  /** Resolves once every queued line is printed. */
  flush(): Promise<void> {
    return this.chain;
  }
}

/** The node lines between two polled views of a run (API mode): one per node whose state moved. */
export function nodeChanges(
  before: RunReport['nodes'],
  after: RunReport['nodes'],
  now: string,
  completionOf?: (
    nodeId: string,
    node: RunReport['nodes'][string],
  ) => Pick<NodeLine, 'completion'> | undefined,
): NodeLine[] {
  const lines: NodeLine[] = [];
  for (const [nodeId, node] of Object.entries(after)) {
    const old = before[nodeId];
    if (old && old.status === node.status && old.attempts === node.attempts) continue;
    const view = node as RunReport['nodes'][string] & { startedAt?: string; endedAt?: string };
    const base = { nodeId, attempt: node.attempts };
    switch (node.status) {
      case 'RUNNING':
        lines.push({ ...base, at: view.startedAt ?? now, kind: 'started' });
        break;
      case 'RETRY_WAIT':
      case 'WAITING':
        lines.push({
          ...base,
          at: now,
          kind: node.status === 'WAITING' ? 'waiting' : 'retrying',
          ...(node.error && { error: node.error }),
          ...(node.wakeAt && { wakeAt: node.wakeAt }),
          ...(completionOf?.(nodeId, node) ?? {}),
        });
        break;
      case 'SUCCEEDED':
      case 'FAILED':
      case 'SKIPPED':
      case 'CANCELLED':
      case 'PARKED':
        lines.push({
          ...base,
          at: view.endedAt ?? now,
          kind: node.status.toLowerCase() as NodeLine['kind'],
          ...(node.error && { error: node.error }),
          ...(node.reason && { reason: node.reason }),
        });
        break;
      default:
        break;
    }
  }
  return lines;
}
