import { NotFoundError } from '../domain/problems.ts';
import type { ErrorInfo, NodeRecord, NodeStatus, RunControl, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { TERMINAL_NODE } from './context.ts';

export interface NodeView {
  readonly status: NodeStatus;
  readonly attempts: number;
  readonly output?: unknown;
  readonly error?: ErrorInfo;
  readonly reason?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** RETRY_WAIT / WAITING: when the node wakes up. */
  readonly wakeAt?: string;
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
  extends Omit<RunRecord, 'expiresAt' | 'epoch' | 'sinkCount' | 'failed' | 'control' | 'epochStartedAt'> {
  readonly control?: ControlView;
  readonly inputs: unknown;
  readonly progress: RunProgress;
  readonly nodes: Record<string, NodeView>;
}

/** A run of `tenant` (404 for another tenant's), or throws NotFoundError. */
export async function getOwnRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await cx.runs.getRun(runId);
  if (!run || run.tenant !== tenant) throw new NotFoundError(`run ${runId} does not exist`);
  return run;
}

/**
 * The whole picture of a run: every node's state (nodes without an item yet are PENDING, or
 * CANCELLED once the run was stopped) and progress counted from them. One Query of the node
 * items: O(run), for reads only.
 */
export async function viewRun(cx: EngineContext, tenant: string, runId: string): Promise<RunView> {
  const run = await getOwnRun(cx, tenant, runId);
  const [plan, inputs, items] = await Promise.all([
    cx.planFor(run),
    cx.inputsOf(runId),
    cx.runs.listNodes(runId),
  ]);
  const byId = new Map(items.map((item) => [item.nodeId, item]));
  const stopped = run.status === 'CANCELLED' || run.status === 'TIMED_OUT';
  const nodes: Record<string, NodeView> = {};
  const byStatus: Partial<Record<NodeStatus, number>> = {};
  let done = 0;
  for (const id of plan.ids) {
    const view = nodeView(byId.get(id), stopped);
    nodes[id] = view;
    byStatus[view.status] = (byStatus[view.status] ?? 0) + 1;
    if (TERMINAL_NODE.has(view.status)) done += 1;
  }
  const { expiresAt: _e, epoch: _p, sinkCount: _s, failed: _f, control, epochStartedAt: _t, ...record } = run;
  const total = plan.ids.length;
  return {
    ...record,
    ...(control && { control: controlView(control) }),
    inputs,
    progress: { total, done, percent: total === 0 ? 100 : Math.floor((done * 100) / total), byStatus },
    nodes,
  };
}

function nodeView(item: NodeRecord | undefined, stopped: boolean): NodeView {
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
