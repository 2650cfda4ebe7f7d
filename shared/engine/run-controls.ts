import { ConflictError } from '../domain/problems.ts';
import type { NodeRecord, RunControl, RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { type ControlProgress, type Pace, sendControl, slicePace } from './control-pace.ts';
import { withItems } from './map-run.ts';
import { claimRetry, continueRetry } from './retry-run.ts';
import { getOwnRun } from './run-view.ts';
import { finishStop, stopRun } from './stop-run.ts';

function refuse(action: string, run: RunRecord, hint: string): never {
  throw new ConflictError('RUN_STATE', `cannot ${action} run ${run.runId}: it is ${run.status}; ${hint}`);
}

/** Pauses a running run: nodes picked up from now on are parked; running nodes finish. */
export async function pauseRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  const paused = await cx.runs.updateRun(
    runId,
    ['RUNNING'],
    { status: 'PAUSED', updatedAt: cx.iso() },
    { control: 'none' },
  );
  if (!paused) refuse('pause', (await cx.runs.getRun(runId)) ?? run, 'only a RUNNING run can be paused');
  cx.emit({ type: 'run.paused', runId });
  await forChildren(cx, paused, await withItems(cx, runId, await cx.runs.listNodes(runId)), pauseRun);
  return paused;
}

/** Resumes a paused run and re-enqueues the nodes parked meanwhile. */
export async function resumeRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  const resumed = await cx.runs.updateRun(runId, ['PAUSED'], { status: 'RUNNING', updatedAt: cx.iso() });
  if (!resumed) refuse('resume', (await cx.runs.getRun(runId)) ?? run, 'only a PAUSED run can be resumed');
  cx.emit({ type: 'run.resumed', runId });
  // A map's items parked while the run was paused are resumed too.
  const nodes = await withItems(cx, runId, await cx.runs.listNodes(runId));
  const parked = nodes.filter((node) => node.status === 'PARKED' && (node.epoch ?? 0) === resumed.epoch);
  await cx.enqueue(
    parked.map((node) => ({ runId, nodeId: node.nodeId, epoch: resumed.epoch })),
    await cx.planFor(resumed),
  );
  await forChildren(cx, resumed, nodes, resumeRun);
  return resumed;
}

/**
 * Pause and resume go down to the child runs the run's `workflow` nodes wait for (each child's
 * own control, which goes on down its children). A child that is not in the state the control
 * needs (it ended, or was paused or resumed on its own) is left as it is. A pause costs one read
 * of the node items for this; a crash part-way leaves some children as they were (pause or resume
 * the parent again, or the child itself).
 */
async function forChildren(
  cx: EngineContext,
  run: RunRecord,
  nodes: readonly NodeRecord[],
  control: (cx: EngineContext, tenant: string, runId: string) => Promise<RunRecord>,
): Promise<void> {
  for (const node of nodes) {
    if (node.childRunId === undefined || (node.epoch ?? 0) !== run.epoch) continue;
    if (node.status !== 'WAITING' && node.status !== 'PARKED') continue;
    try {
      await control(cx, run.tenant, node.childRunId);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/**
 * Cancels an active run: nothing new starts, nodes that have not started become CANCELLED, the
 * run ends CANCELLED. A large run is marked in the background: the run is CANCELLED at once and
 * its `control` shows the progress. Cancelling a run whose cancel is still marking goes on with it.
 */
export async function cancelRun(cx: EngineContext, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getOwnRun(cx, tenant, runId);
  if (run.control && run.control.action !== 'retry') return advance(cx, run);
  const cancelled = await stopRun(cx, run, 'CANCELLED', inlinePace(cx));
  if (!cancelled) {
    refuse(
      'cancel',
      (await cx.runs.getRun(runId)) ?? run,
      'only a RUNNING, PAUSED or QUEUED run can be cancelled',
    );
  }
  if (cancelled.control) await sendControl(cx, cancelled.runId, cancelled.control);
  return cancelled;
}

/**
 * Retries an ended run: the named nodes (or every FAILED or CANCELLED one), everything downstream
 * of them and every node that never ran go back to "not started"; the others keep their state
 * and outputs. The run is RUNNING again (a new epoch) and the nodes whose parents are all kept
 * are enqueued. A large run is reset in the background: the run is QUEUED meanwhile and its
 * `control` shows the progress. A second call while a retry is pending goes on with that retry.
 * A node's attempts keep counting across retries of the run.
 */
export async function retryRun(
  cx: EngineContext,
  tenant: string,
  runId: string,
  named?: readonly string[],
): Promise<RunRecord> {
  let run = await getOwnRun(cx, tenant, runId);
  if (run.control?.action === 'retry') return advance(cx, run);
  if (run.control) {
    // A stop still marking nodes: finish it first, so no node of the old epoch can start.
    run = await advance(cx, run);
    if (run.control) {
      const running = (await cx.runs.listNodes(runId)).find((node) => node.status === 'RUNNING');
      const action = run.control.action.replace('_', ' ');
      throw new ConflictError(
        'RUN_STATE',
        running
          ? `cannot retry run ${runId} yet: node "${running.nodeId}" is still running (the run's ${action} ends when it does)`
          : `cannot retry run ${runId} yet: its ${action} is still marking nodes (${run.control.done ?? 0} of ${run.control.total ?? '?'}); try again shortly`,
      );
    }
  }
  const claimed = await claimRetry(cx, run, named);
  return advance(cx, claimed);
}

/**
 * Goes on with a run's pending control within the inline pace; when work is left, a control
 * message takes it on in the background. Returns the run as it is after that.
 */
async function advance(cx: EngineContext, run: RunRecord): Promise<RunRecord> {
  const control = run.control;
  if (!control) return run;
  const progress = await continueControl(cx, run, inlinePace(cx));
  const latest = (await cx.runs.getRun(run.runId)) ?? run;
  if (progress === 'more' && latest.control) await sendControl(cx, run.runId, latest.control);
  return latest;
}

/**
 * One slice of a pending control (stop or retry) of `run`, within `pace`. `gone` when the run has
 * no such control any more (finished, or replaced by another control).
 */
export async function continueControl(
  cx: EngineContext,
  run: RunRecord,
  pace: Pace,
): Promise<ControlProgress> {
  const control = run.control;
  if (!control || control.epoch !== run.epoch) return 'gone';
  if (control.action === 'retry') return continueRetry(cx, run, pace);
  return finishStop(cx, run, pace);
}

/**
 * Handles a control message: one slice of the control within the worker's time; when work is
 * left, the next message is sent (the sweeper is the net if that send is lost).
 */
export async function handleControlMessage(
  cx: EngineContext,
  message: { readonly runId: string; readonly action: RunControl['action']; readonly epoch: number },
  remainingMs: number | undefined,
): Promise<void> {
  const run = await cx.runs.getRun(message.runId);
  const control = run?.control;
  if (!run || control?.action !== message.action || control.epoch !== message.epoch) return;
  if ((await continueControl(cx, run, slicePace(cx, remainingMs))) === 'more') {
    await sendControl(cx, run.runId, control);
  }
}

const inlinePace = (cx: EngineContext): Pace => ({ maxWrites: cx.settings.inlineControlNodes });
