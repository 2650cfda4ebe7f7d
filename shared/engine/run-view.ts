import { NotFoundError } from '../domain/problems.ts';
import type { ErrorInfo, NodeRecord, NodeStatus, RunControl, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { TERMINAL_NODE } from './context.ts';
import { cursorAt, offsetOf } from './offset-cursor.ts';

export interface NodeView {
  readonly status: NodeStatus;
  readonly attempts: number;
  readonly output?: unknown;
  readonly error?: ErrorInfo;
  readonly reason?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** RETRY_WAIT / WAITING: when the node wakes up (a callback: its deadline). */
  readonly wakeAt?: string;
  /** WAITING for an outside completion (a callback): the token that completes it. */
  readonly token?: string;
  /** A `workflow` node: the child run it started (its latest attempt's). */
  readonly childRunId?: string;
  /**
   * A `map` node that started its items: how many, and how many lanes run them (at most that many
   * at once). Each item: GET .../runs/{run}/nodes/{node}/items.
   */
  readonly items?: { readonly total: number; readonly lanes: number };
  /** A `stepfunctions` node: the execution ARN of its latest attempt (what it waits or waited for). */
  readonly awaiting?: string;
}

export interface RunProgress {
  readonly total: number;
  /** Nodes in a terminal state. */
  readonly done: number;
  /** done / total, 0..100, rounded down. */
  readonly percent: number;
  readonly byStatus: Partial<Record<NodeStatus, number>>;
}

/** A pending control as users see it. */
export interface ControlView {
  readonly action: RunControl['action'];
  readonly done: number;
  readonly total?: number;
  readonly since: string;
}

export interface RunView
  extends Omit<
    RunRecord,
    'expiresAt' | 'epoch' | 'sinkCount' | 'failed' | 'control' | 'epochStartedAt' | 'progressAt'
  > {
  readonly control?: ControlView;
  readonly inputs: unknown;
  readonly progress: RunProgress;
  /** The nodes of this page, in definition order (every node unless the view was paged). */
  readonly nodes: Record<string, NodeView>;
  /** Present when more nodes follow: pass it as `cursor` for the next page. */
  readonly nodesCursor?: string;
}

/** Which nodes a view shows. */
export interface RunViewOptions {
  /** Nodes per page. @default every node */
  readonly limit?: number;
  /** From a previous page's `nodesCursor`. */
  readonly cursor?: string;
  /** Include each node's output. @default true */
  readonly outputs?: boolean;
}

/**
 * A page with outputs stops growing past this many bytes of output, so a page of large outputs
 * stays well under what one API response may carry (6 MB on Lambda).
 */
export const MAX_PAGE_OUTPUT_BYTES = 4 * 1024 * 1024;

/** A run of `tenant` (404 for another tenant's), or throws NotFoundError. */
export async function getOwnRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await cx.runs.getRun(runId);
  if (!run || run.tenant !== tenant) throw new NotFoundError(`run ${runId} does not exist`);
  return run;
}

/**
 * The picture of a run: progress counted over every node (nodes without an item yet are PENDING,
 * or CANCELLED once the run was stopped) and the nodes of one page, in definition order, with or
 * without their outputs. One Query of the node items: O(run), for reads only.
 */
export async function viewRun(
  cx: EngineContext,
  tenant: string,
  runId: string,
  options: RunViewOptions = {},
): Promise<RunView> {
  const run = await getOwnRun(cx, tenant, runId);
  const [plan, inputs, items] = await Promise.all([
    cx.planFor(run),
    cx.inputsOf(runId),
    cx.runs.listNodes(runId),
  ]);
  const byId = new Map(items.map((item) => [item.nodeId, item]));
  const stopped = run.status === 'CANCELLED' || run.status === 'TIMED_OUT';
  const views = plan.ids.map((id) => [id, nodeView(byId.get(id), stopped)] as const);
  const byStatus: Partial<Record<NodeStatus, number>> = {};
  let done = 0;
  for (const [, view] of views) {
    byStatus[view.status] = (byStatus[view.status] ?? 0) + 1;
    if (TERMINAL_NODE.has(view.status)) done += 1;
  }
  const page = pageOf(views, options);
  const {
    expiresAt: _e,
    epoch: _p,
    sinkCount: _s,
    failed: _f,
    control,
    epochStartedAt: _t,
    progressAt: _g,
    ...record
  } = run;
  const total = plan.ids.length;
  return {
    ...record,
    ...(control && { control: controlView(control) }),
    inputs,
    progress: { total, done, percent: total === 0 ? 100 : Math.floor((done * 100) / total), byStatus },
    nodes: page.nodes,
    ...(page.cursor !== undefined && { nodesCursor: page.cursor }),
  };
}

function pageOf(views: readonly (readonly [string, NodeView])[], options: RunViewOptions) {
  const from = options.cursor === undefined ? 0 : offsetOf('nodes', options.cursor, views.length);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const withOutputs = options.outputs ?? true;
  const nodes: Record<string, NodeView> = {};
  let outputBytes = 0;
  let next = from;
  for (; next < views.length && next - from < limit; next++) {
    const [id, view] = views[next] as readonly [string, NodeView];
    if (!withOutputs || view.output === undefined) {
      const { output: _o, ...rest } = view;
      nodes[id] = rest;
      continue;
    }
    outputBytes += Buffer.byteLength(JSON.stringify(view.output));
    if (outputBytes > MAX_PAGE_OUTPUT_BYTES && next > from && options.limit !== undefined) break;
    nodes[id] = view;
  }
  return { nodes, ...(next < views.length && { cursor: cursorAt('nodes', next) }) };
}

/** What the API shows of a node (or a map item): absent is PENDING, or CANCELLED once the run stopped. */
export function nodeView(item: NodeRecord | undefined, stopped: boolean): NodeView {
  const status: NodeStatus = item?.status ?? (stopped ? 'CANCELLED' : 'PENDING');
  if (!item) return { status, attempts: 0 };
  return {
    status,
    attempts: item.attempt,
    ...(item.output !== undefined ? { output: item.output } : {}),
    ...(item.error ? { error: item.error } : {}),
    ...(item.reason ? { reason: item.reason } : {}),
    ...(item.startedAt ? { startedAt: item.startedAt } : {}),
    ...(item.endedAt ? { endedAt: item.endedAt } : {}),
    ...(item.wakeAt && (status === 'RETRY_WAIT' || status === 'WAITING') ? { wakeAt: item.wakeAt } : {}),
    ...(item.completionToken && status === 'WAITING' ? { token: item.completionToken } : {}),
    ...(item.childRunId ? { childRunId: item.childRunId } : {}),
    ...(item.mapTotal === undefined ? {} : { items: { total: item.mapTotal, lanes: item.mapLanes ?? 0 } }),
    ...(item.awaitRef ? { awaiting: item.awaitRef } : {}),
  };
}

/** The public face of a pending control: what it does and how far it got. */
export function controlView(control: RunControl): ControlView {
  return {
    action: control.action,
    done: control.done ?? 0,
    ...(control.total === undefined ? {} : { total: control.total }),
    since: control.since,
  };
}
